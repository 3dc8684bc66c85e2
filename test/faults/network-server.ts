/**
 * A loopback server for the network fault suite: it answers like a healthy provider (a function the
 * test passes: Datadog's fake, a canned Prometheus/Grafana/Slack answer) unless a fault is injected,
 * in which case it misbehaves at the HTTP or socket level: statuses, hangs, slow drips, bodies cut
 * short, oversize and gzip-bomb bodies, HTML, redirects to another host.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HealthyAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export type Healthy = (req: SeenRequest) => HealthyAnswer | Promise<HealthyAnswer>;

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  /** Headers at once, then one byte every `everyMs`: only a timeout that covers the body ends it. */
  | { kind: 'drip'; everyMs: number }
  /** The healthy answer with a Content-Length larger than what is sent, then the socket closes. */
  | { kind: 'truncate' }
  /** A healthy status with this body instead. */
  | { kind: 'body'; body: string; contentType?: string }
  /** `bytes` of JSON-ish filler, sent plain. */
  | { kind: 'oversize'; bytes: number }
  /** A small gzip body that inflates to `bytes`. */
  | { kind: 'gzip-bomb'; bytes: number }
  | { kind: 'redirect'; status: number; location: string };

export class NetworkFaultServer {
  readonly requests: SeenRequest[] = [];
  /** Injected into the first `faultTimes` requests (all by default). */
  fault?: Fault;
  faultTimes = Infinity;
  /** Only requests this picks misbehave (all by default), e.g. the events endpoint alone. */
  faultWhen: (req: SeenRequest) => boolean = () => true;
  private faulted = 0;
  url = '';
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly healthy: Healthy) {}

  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.listen(0, host);
    await once(this.server, 'listening');
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    if (this.server?.listening) {
      this.server.close();
      await once(this.server, 'close');
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(seen);
    const picked = this.fault !== undefined && this.faultWhen(seen) && this.faulted < this.faultTimes;
    if (picked) this.faulted++;
    const fault = picked ? this.fault : undefined;
    if (!fault) {
      const answer = await this.healthy(seen);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
      return;
    }
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? '');
        return;
      case 'hang':
        return; // the socket stays open until stop()
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => res.write(' '), fault.everyMs);
        this.timers.add(timer);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'truncate': {
        const answer = await this.healthy(seen);
        const body = Buffer.from(answer.body);
        res.writeHead(answer.status, {
          'content-type': 'application/json',
          'content-length': String(body.length + 1000),
        });
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        // Let the half arrive, then drop the connection mid-body.
        setImmediate(() => res.socket?.destroy());
        return;
      }
      case 'body':
        res.writeHead(200, { 'content-type': fault.contentType ?? 'application/json' });
        res.end(fault.body);
        return;
      case 'oversize': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"pad":"${'x'.repeat(fault.bytes)}"}`);
        return;
      }
      case 'gzip-bomb': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(bomb(fault.bytes));
        return;
      }
      case 'redirect':
        res.writeHead(fault.status, { location: fault.location });
        res.end();
        return;
    }
  }
}

const bombs = new Map<number, Buffer>();
/** gzip of `bytes` spaces inside a JSON string: ~1 KB per MB on the wire. */
export function bomb(bytes: number): Buffer {
  let b = bombs.get(bytes);
  if (!b) {
    b = gzipSync(Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(bytes, 0x20), Buffer.from('"}')]), {
      level: 9,
    });
    bombs.set(bytes, b);
  }
  return b;
}
