/**
 * A local server speaking Splunk's search export endpoint the way splunkd does (shapes: see
 * src/sources/splunk/readme.md, "Where the shapes come from"):
 *
 * - `POST /services/search/v2/jobs/export` (and `/servicesNS/<owner>/<app>/…`), form-encoded
 *   `search`, `output_mode=json`, `earliest_time`/`latest_time` in epoch seconds; bearer token
 *   checked (401 `{"messages":[{"type":"WARN","text":"call not properly authenticated"}]}`).
 * - The answer streams as newline-delimited JSON, written in chunks: an interim `"preview":true`
 *   line first (as a transforming search does), then `{"preview":false,"offset":i,"result":{…}}`
 *   rows with string values and `_time` as ISO with offset, the last one with `"lastrow":true`, or
 *   `{"preview":false,"lastrow":true}` when there is nothing.
 * - It runs a small subset of SPL over the events it holds: `search` terms (`k=v`, `k="v"`,
 *   `(k="a" OR k="b")`), then `timechart [limit=0] span=<n>m|s avg|max|min|sum|count(<field>)
 *   [by <field> useother=f usenull=f]` (one column per split value; empty buckets omit the value)
 *   or `table <fields…>`. Anything else is a 400 with a FATAL message, as Splunk's parser says it.
 *
 * `script` holds canned answers served first, one per request: a status with a body, 'hang', or
 * `{ lines, cut }` (stream these lines, then end cleanly or drop the connection).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface FakeEvent {
  index: string;
  /** epoch ms */
  time: number;
  fields: Record<string, string>;
}

export type Canned =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { lines: string[]; cut?: 'clean' | 'drop' }
  | 'hang';

export interface SeenSearch {
  path: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

export interface FakeSplunk {
  url: string;
  requests: SeenSearch[];
  script: Canned[];
  events: FakeEvent[];
  /** A search containing this text is refused with a FATAL parse error (e.g. to refuse grouping). */
  refuse?: { when: (search: string) => boolean; text: string };
  close(): Promise<void>;
}

class SplError extends Error {}

export async function startFakeSplunk(options: { token: string }): Promise<FakeSplunk> {
  const fake: Omit<FakeSplunk, 'url' | 'close'> = { requests: [], script: [], events: [] };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const form = new URLSearchParams(raw);
      fake.requests.push({ path, headers: req.headers, form });
      const canned = fake.script.shift();
      if (canned === 'hang') return; // never answers; the client's timeout ends it
      if (canned && 'lines' in canned) return streamLines(res, canned.lines, canned.cut ?? 'clean');
      if (canned) return json(res, canned.status, canned.body ?? {}, canned.headers);
      if (
        req.method !== 'POST' ||
        !/^\/(services|servicesNS\/[^/]+\/[^/]+)\/search\/v2\/jobs\/export$/.test(path)
      )
        return json(res, 404, { messages: [{ type: 'ERROR', text: 'Not Found' }] });
      if (req.headers.authorization !== `Bearer ${options.token}`)
        return json(res, 401, { messages: [{ type: 'WARN', text: 'call not properly authenticated' }] });
      const search = form.get('search') ?? '';
      if (fake.refuse?.when(search))
        return json(res, 400, { messages: [{ type: 'FATAL', text: fake.refuse.text }] });
      let rows: Record<string, unknown>[];
      try {
        rows = runSpl(
          search,
          fake.events,
          Number(form.get('earliest_time')) * 1000,
          Number(form.get('latest_time')) * 1000,
        );
      } catch (error) {
        if (!(error instanceof SplError)) throw error;
        return json(res, 400, { messages: [{ type: 'FATAL', text: error.message }] });
      }
      streamLines(res, exportLines(rows), 'clean');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/**
 * Result rows as the export endpoint writes them: an interim preview line, then one line per row,
 * the last with `"lastrow":true` (or a lone lastrow line when there are none).
 */
export function exportLines(rows: readonly Record<string, unknown>[]): string[] {
  const lines = [JSON.stringify({ preview: true, offset: 0, result: rows[0] ?? {} })];
  rows.forEach((result, offset) =>
    lines.push(
      JSON.stringify({
        preview: false,
        offset,
        ...(offset === rows.length - 1 ? { lastrow: true } : {}),
        result,
      }),
    ),
  );
  if (rows.length === 0) lines.push(JSON.stringify({ preview: false, lastrow: true }));
  return lines;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Chunked, a few lines per write; 'drop' destroys the socket after the lines instead of ending. */
function streamLines(res: ServerResponse, lines: readonly string[], end: 'clean' | 'drop') {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
  for (let i = 0; i < lines.length; i += 500) res.write(lines.slice(i, i + 500).join('\n') + '\n');
  if (end === 'drop') setImmediate(() => res.socket?.destroy());
  else res.end();
}

const isoWithOffset = (t: number) => new Date(t).toISOString().replace('Z', '+00:00');

/** The subset of SPL described above. */
export function runSpl(
  search: string,
  events: readonly FakeEvent[],
  earliest: number,
  latest: number,
): Record<string, unknown>[] {
  const [first, ...rest] = search.split('|').map((s) => s.trim());
  if (!first || !/^search\s/i.test(first))
    throw new SplError(
      "Error in 'search' command: Unable to parse the search: the search must start with a command",
    );
  const matches = parseTerms(first.replace(/^search\s+/i, ''));
  let selected = events.filter((e) => e.time >= earliest && e.time < latest && matches(e));
  if (rest.length === 0) return selected.map(rowOf);
  if (rest.length > 1)
    throw new SplError(`Error in '${rest[1]!.split(/\s/)[0]}' command: not supported here`);
  const command = rest[0]!;
  const table = /^table\s+(.+)$/i.exec(command);
  if (table) {
    const fields = table[1]!.split(/[\s,]+/).filter(Boolean);
    selected = [...selected].sort((a, b) => b.time - a.time);
    return selected.map((e) => {
      const row = rowOf(e);
      return Object.fromEntries(fields.filter((f) => row[f] !== undefined).map((f) => [f, row[f]]));
    });
  }
  const tc =
    /^timechart\s+(?:limit=0\s+)?span=(\d+)([ms])\s+(avg|max|min|sum|count)\((\w+)\)(?:\s+by\s+(\w+)\s+useother=f\s+usenull=f)?$/i.exec(
      command,
    );
  if (!tc)
    throw new SplError(`Error in '${command.split(/\s/)[0]}' command: this fake does not run "${command}"`);
  const span = Number(tc[1]) * (tc[2] === 'm' ? 60_000 : 1000);
  const [agg, field, by] = [tc[3]!.toLowerCase(), tc[4]!, tc[5]];
  const rows: Record<string, unknown>[] = [];
  const buckets = new Map<number, Map<string, number[]>>();
  for (const e of selected) {
    const bucket = Math.floor(e.time / span) * span;
    const key = by ? e.fields[by] : `${agg}(${field})`;
    const v = Number(e.fields[field]);
    if (key === undefined || !Number.isFinite(v)) continue;
    const cells = buckets.get(bucket) ?? new Map<string, number[]>();
    cells.set(key, [...(cells.get(key) ?? []), v]);
    buckets.set(bucket, cells);
  }
  for (let t = Math.floor(earliest / span) * span; t < latest; t += span) {
    const row: Record<string, unknown> = { _time: isoWithOffset(t) };
    for (const [key, values] of buckets.get(t) ?? []) row[key] = String(aggregate(agg, values));
    row._span = String(span / 1000);
    rows.push(row);
  }
  return rows;
}

function aggregate(agg: string, values: number[]): number {
  switch (agg) {
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'count':
      return values.length;
    default:
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

function rowOf(e: FakeEvent): Record<string, unknown> {
  return { _time: isoWithOffset(e.time), index: e.index, ...e.fields };
}

/** `k=v`, `k="v"` and `(k="a" OR k="b" …)` terms, all of which must hold. */
function parseTerms(text: string): (e: FakeEvent) => boolean {
  const tests: ((e: FakeEvent) => boolean)[] = [];
  const tokens = text.match(/\([^)]*\)|[^\s()]+/g) ?? [];
  const term = (t: string): ((e: FakeEvent) => boolean) => {
    const m = /^([\w.]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(t);
    if (!m) throw new SplError(`Error in 'search' command: Unable to parse the search: unknown term "${t}"`);
    const [key, value] = [m[1]!, (m[2] ?? m[3]!).replace(/\\(.)/g, '$1')];
    // Splunk matches field values case-insensitively.
    return (e) => {
      const actual = key === 'index' ? e.index : e.fields[key];
      return actual !== undefined && actual.toLowerCase() === value.toLowerCase();
    };
  };
  for (const token of tokens) {
    if (token.startsWith('(')) {
      const alternatives = token
        .slice(1, -1)
        .split(/\s+OR\s+/)
        .map((t) => term(t.trim()));
      tests.push((e) => alternatives.some((a) => a(e)));
    } else tests.push(term(token));
  }
  return (e) => tests.every((t) => t(e));
}
