/**
 * The edge's line-reading mode (`requestLines`, used by Splunk's export stream) against a loopback
 * server: lines as they arrive, and the same promises as `request` — one timeout over the whole body,
 * the size cap on decompressed bytes, redirects within one origin, the same failure kinds, scrubbed
 * text.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { requestLines, type NetFailure, type NetLinesOk } from '../../src/net/http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Loopback {
  url: string;
  seen: string[];
  handle: Handler;
  close(): Promise<void>;
}

async function loopback(host = '127.0.0.1'): Promise<Loopback> {
  const lb: Loopback = {
    url: '',
    seen: [],
    handle: (_req, res) => res.end(),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer((req, res) => {
    lb.seen.push(`${req.method} ${req.url}`);
    lb.handle(req, res);
  });
  server.listen(0, host);
  await once(server, 'listening');
  lb.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return lb;
}

let server: Loopback;
let other: Loopback;
beforeAll(async () => {
  server = await loopback();
  other = await loopback('127.0.0.2');
});
afterAll(async () => {
  await server.close();
  await other.close();
});
beforeEach(() => {
  server.seen.length = 0;
  other.seen.length = 0;
});

const secret = 'lines-fake-secret-42';
const collect = async (lines: AsyncIterable<string>) => {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
};
const ask = (
  path: string,
  extra: { timeoutMs?: number; maxBytes?: number; signal?: AbortSignal } = {},
  read: (lines: AsyncIterable<string>) => Promise<string[]> = collect,
) =>
  requestLines(
    {
      method: 'POST',
      url: server.url + path,
      body: 'search=x',
      secrets: [secret],
      timeoutMs: 2000,
      ...extra,
    },
    read,
  );
const failure = (r: NetLinesOk<string[]> | NetFailure): NetFailure => {
  if (r.kind === 'ok') throw new Error(`expected a failure, got ${JSON.stringify(r.value).slice(0, 200)}`);
  return r;
};

describe('requestLines: reading', () => {
  it('gives each line once, whatever the chunks: CRLF, a character split across chunks, no final newline', async () => {
    const euro = Buffer.from('€');
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":1}\r\n{"b":');
      res.write(Buffer.concat([Buffer.from('"'), euro.subarray(0, 1)]));
      setImmediate(() => {
        res.write(Buffer.concat([euro.subarray(1), Buffer.from('"}\n\n{"c":3}')]));
        res.end();
      });
    };

    const result = await ask('/export');

    expect(result).toMatchObject({ kind: 'ok', status: 200, value: ['{"a":1}', '{"b":"€"}', '', '{"c":3}'] });
  });

  it('reads a gzip answer decompressed', async () => {
    const body = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ offset: i })).join('\n');
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(body));
    };

    const result = await ask('/export');

    expect(result.kind).toBe('ok');
    expect((result as NetLinesOk<string[]>).value).toHaveLength(1000);
    expect((result as NetLinesOk<string[]>).value[999]).toBe('{"offset":999}');
  });

  it('follows a redirect within the origin', async () => {
    server.handle = (req, res) => {
      if (req.url === '/old') {
        res.writeHead(307, { location: '/new' });
        return res.end();
      }
      res.end('moved\n');
    };

    const result = await ask('/old');

    expect(result).toMatchObject({ kind: 'ok', value: ['moved'] });
    expect(server.seen).toEqual(['POST /old', 'POST /new']);
  });
});

describe('requestLines: the same promises as request', () => {
  it('refuses a redirect to another host; that host sees nothing', async () => {
    server.handle = (_req, res) => {
      res.writeHead(302, { location: `${other.url}/steal` });
      res.end();
    };

    const f = failure(await ask('/export'));

    expect(f).toMatchObject({ kind: 'http', retryable: false, status: 302 });
    expect(f.message).toMatch(/another host/);
    expect(other.seen).toEqual([]);
  });

  it('a body that drips past the timeout is a timeout, though the headers came at once', async () => {
    server.handle = (_req, res) => {
      res.writeHead(200);
      res.write('{"preview":false}\n');
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    };
    const started = Date.now();

    const f = failure(await ask('/export', { timeoutMs: 300 }));

    expect(f).toMatchObject({ kind: 'timeout', retryable: true });
    expect(f.message).toBe('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('an answer cut short is a retryable network failure, even if the reader swallows the throw', async () => {
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"offset":0}\n{"offs');
      setImmediate(() => res.socket?.destroy());
    };
    const swallowing = async (lines: AsyncIterable<string>) => {
      const out: string[] = [];
      try {
        for await (const line of lines) out.push(line);
      } catch {
        // a careless reader: the edge still knows the answer was not whole
      }
      return out;
    };

    const f = failure(await ask('/export', {}, swallowing));

    expect(f).toMatchObject({ kind: 'network', retryable: true });
    expect(f.message).toMatch(
      /^the answer from http:\/\/127\.0\.0\.1:\d+ \(HTTP 200\) was cut short after \d+ bytes/,
    );
  });

  it('stops a gzip bomb at the cap, counted after decompression, and does not retry it', async () => {
    // Lines of 1 KB (a line per byte would time the reader, not the cap).
    const line = Buffer.concat([Buffer.alloc(1023, ' '), Buffer.from('\n')]);
    const bomb = gzipSync(Buffer.concat(Array.from({ length: 8 * 1024 }, () => line)), { level: 9 });
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(bomb);
    };
    let bytesRead = 0;

    const f = failure(
      // A generous timeout: this case is about the cap, not time.
      await ask('/export', { maxBytes: 64 * 1024, timeoutMs: 20_000 }, async (lines) => {
        for await (const line of lines) bytesRead += line.length + 1;
        return [];
      }),
    );

    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(f).toMatchObject({ kind: 'too-large', retryable: false, status: 200 });
    expect(f.message).toMatch(/larger than 64 KB \(after decompression\)/);
    // Nothing past the cap reached the reader.
    expect(bytesRead).toBeLessThanOrEqual(64 * 1024);
  });

  it('a non-2xx answer is read whole into an http failure, scrubbed and on one line', async () => {
    server.handle = (_req, res) => {
      res.writeHead(503, { 'retry-after': '3', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `busy\n::error::token=${secret}` }));
    };
    let readerCalled = false;

    const f = failure(
      await ask('/export', {}, () => {
        readerCalled = true;
        return Promise.resolve([]);
      }),
    );

    expect(readerCalled).toBe(false);
    expect(f).toMatchObject({ kind: 'http', retryable: true, status: 503, retryAfterMs: 3000 });
    expect(f.message).not.toContain(secret.slice(0, 8));
    expect(f.message).not.toMatch(/[\n\r]/);
  });

  it("the caller's abort is cancelled, not retried", async () => {
    const controller = new AbortController();
    server.handle = (_req, res) => {
      res.writeHead(200);
      res.write('{"offset":0}\n');
    };

    const f = failure(
      await ask('/export', { signal: controller.signal }, async (lines) => {
        for await (const line of lines) if (line) controller.abort();
        return [];
      }),
    );

    expect(f).toMatchObject({ kind: 'cancelled', retryable: false });
  });

  it("an error of the reader's own (the answer made no sense to it) passes through unchanged", async () => {
    server.handle = (_req, res) => res.end('not json\n');
    const own = new Error('line 1 is not JSON');

    await expect(
      ask('/export', {}, async (lines) => {
        for await (const line of lines) if (line) throw own;
        return [];
      }),
    ).rejects.toBe(own);
  });
});
