/**
 * The one network edge. Every HTTP request scrumops makes (Prometheus, Grafana, Datadog through its
 * official client, Slack) goes through `request`, which never throws and answers one of:
 *
 * | kind        | meaning                                                  | retryable        |
 * |-------------|----------------------------------------------------------|------------------|
 * | `ok`        | a 2xx answer, body read whole                            | —                |
 * | `http`      | a non-2xx answer (body kept, capped, for the adapter)     | 408, 429, 5xx    |
 * | `network`   | refused, reset, DNS, or the answer was cut short          | yes              |
 * | `timeout`   | no whole answer (headers *and* body) within `timeoutMs`   | yes              |
 * | `too-large` | the body grew past `maxBytes` (counted after decompression) | never          |
 * | `malformed` | the adapter could not read a 2xx answer (see `malformed`) | never            |
 * | `cancelled` | the caller's signal aborted                               | never            |
 *
 * Redirects are followed only within the same origin (scheme, host and port): credentials travel in
 * headers (Authorization, DD-API-KEY …) and must never reach another host. A redirect elsewhere is an
 * `http` failure naming the host it pointed at.
 *
 * Every `message` is made of our words plus outside text passed through `safeText` (flattened,
 * scrubbed of the request's secrets, then cut), so it is safe for stderr, reasons and report.json.
 */
import axios from 'axios';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { isTransientStatus, retryAfterMs } from './retry';
import { safeText } from './text';

/** 256 MB after decompression: far above any real answer, far below what would exhaust memory. */
export const defaultMaxBytes = 256 * 1024 * 1024;
export const defaultTimeoutMs = 30_000;
/** Same-origin redirects followed before giving up. */
const maxRedirects = 3;
/** Characters of an error body kept in a message. */
export const detailChars = 300;

export type FailureKind = 'http' | 'network' | 'timeout' | 'too-large' | 'malformed' | 'cancelled';

export interface NetOk {
  kind: 'ok';
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The body, decoded as UTF-8. */
  text: string;
}

export interface NetFailure {
  kind: FailureKind;
  /** Worth another attempt (the retry policy decides whether it gets one). */
  retryable: boolean;
  /** One line, no secret, ready to show: e.g. `HTTP 503: upstream down`, `no whole answer within 30000 ms`. */
  message: string;
  /** For `http`: the status, headers and (capped) raw body, for adapters that read error bodies. */
  status?: number;
  headers?: Record<string, string>;
  text?: string;
  /** Server-given wait before the next try (Retry-After), for `http` 429/503. */
  retryAfterMs?: number;
}

export type NetResult = NetOk | NetFailure;

export interface NetRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Bounds the whole exchange: connect, headers and body. */
  timeoutMs?: number;
  /** Largest body accepted, counted after decompression. */
  maxBytes?: number;
  /** The caller's cancellation. */
  signal?: AbortSignal;
  /** Scrubbed from every message (the forms they may be echoed in too). */
  secrets?: readonly (string | undefined)[];
  /** Wall clock for Retry-After dates. */
  now?: () => number;
  /** For https: a private CA to trust, or no verification (a self-signed management port). */
  tls?: { ca?: string; insecure?: boolean };
  /**
   * Reads a 2xx body chunk by chunk as it arrives, instead of the edge keeping it (NetOk.text is then
   * empty): a large answer is never held whole. The cap and the timeout still apply.
   */
  sink?: (chunk: Buffer) => void;
}

/** A NetFailure as an Error, for callers (such as the Datadog client) that expect a throw. */
export class NetError extends Error {
  constructor(readonly failure: NetFailure) {
    super(failure.message);
    this.name = 'NetError';
  }
}

/** The failure an adapter reports when a 2xx answer is not what it asked for (never retried). */
export function malformed(what: string, status?: number): NetFailure {
  return { kind: 'malformed', retryable: false, message: what, ...(status ? { status } : {}) };
}

export async function request(req: NetRequest): Promise<NetResult> {
  return exchange(req, async (response, ex) => {
    const body = await readBody(response.data, ex.maxBytes, ex.signal, req.sink);
    if (body.kind !== 'whole') return ex.bodyFailure(body, response.status);
    return { kind: 'ok', status: response.status, headers: response.headers, text: body.text };
  });
}

/** A 2xx answer read line by line: what the caller's `read` made of it. */
export interface NetLinesOk<T> {
  kind: 'ok';
  status: number;
  headers: Record<string, string>;
  value: T;
}

/**
 * `request` for a long 2xx answer read as it arrives, line by line (newline-delimited JSON such as
 * Splunk's export stream), so it never has to sit in memory whole. The same rules hold: one timeout
 * over connect, headers and the whole body (the time `read` takes included), the size cap counted
 * on decompressed bytes as they arrive, redirects within one origin, the same failure kinds and
 * scrubbed messages; a non-2xx answer is read whole (capped) and fails as in `request`.
 *
 * `read` gets each line without its line break ("\r\n" too). When the answer stops early (cut
 * short, too large, timed out, cancelled) the lines end by throwing, and the result is that failure
 * whatever `read` did with the throw. An error `read` throws of its own (the answer made no sense
 * to it) is passed through unchanged: it is the caller's, as are its words.
 */
export async function requestLines<T>(
  req: NetRequest,
  read: (lines: AsyncIterable<string>) => Promise<T>,
): Promise<NetLinesOk<T> | NetFailure> {
  return exchange(req, async (response, ex) => {
    const stream = linesOf(response.data, ex.maxBytes, ex.signal);
    try {
      const value = await read(stream.lines);
      // `read` may stop early, or swallow the throw of an answer that stopped: a stop still decides.
      if (stream.stopped()) return ex.bodyFailure(stream.stopped()!, response.status);
      return { kind: 'ok', status: response.status, headers: response.headers, value };
    } catch (error) {
      if (stream.stopped()) return ex.bodyFailure(stream.stopped()!, response.status);
      throw error;
    } finally {
      stream.close();
    }
  });
}

/** A response whose status and headers have arrived and whose body is still to read. */
interface Arrived {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  data: Readable;
}

/** What a 2xx body reader needs from the exchange around it. */
interface Exchange {
  signal: AbortSignal;
  maxBytes: number;
  /** The failure a body that did not arrive whole means. */
  bodyFailure(outcome: Exclude<BodyOutcome, { kind: 'whole' }>, status: number): NetFailure;
}

/**
 * One exchange, shared by `request` and `requestLines`: the timeout over everything (the 2xx body
 * reader's time included), same-origin redirects, and non-2xx answers read whole (capped) into an
 * `http` failure. `readOk` reads a 2xx body; its result is the answer.
 */
async function exchange<R>(
  req: NetRequest,
  readOk: (response: Arrived, ex: Exchange) => Promise<R | NetFailure>,
): Promise<R | NetFailure> {
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs;
  const maxBytes = req.maxBytes ?? defaultMaxBytes;
  const secrets = req.secrets ?? [];
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
  const fail = (kind: FailureKind, message: string, extra: Partial<NetFailure> = {}): NetFailure => ({
    kind,
    retryable: kind === 'network' || kind === 'timeout',
    message: safeText(message, secrets, 400),
    ...extra,
  });
  const interrupted = (): NetFailure | undefined => {
    if (req.signal?.aborted) return fail('cancelled', 'cancelled');
    if (timer.signal.aborted) return fail('timeout', `no answer within ${timeoutMs} ms`);
    return undefined;
  };

  try {
    let url = req.url;
    for (let hop = 0; ; hop++) {
      if (signal.aborted) return interrupted()!;
      let response;
      try {
        response = await axios.request<Readable>({
          method: req.method,
          url,
          headers: { 'User-Agent': 'scrumops', ...req.headers },
          data: req.body,
          responseType: 'stream',
          validateStatus: () => true,
          maxRedirects: 0,
          decompress: true,
          // Bodies are counted below, where the limit is ours to report.
          maxContentLength: -1,
          maxBodyLength: Infinity,
          signal,
          // No proxy from the environment: it would see the credentials.
          proxy: false,
          ...(req.tls && (req.tls.ca || req.tls.insecure)
            ? {
                httpsAgent: new HttpsAgent({
                  ...(req.tls.ca ? { ca: req.tls.ca } : {}),
                  rejectUnauthorized: !req.tls.insecure,
                }),
              }
            : {}),
        });
      } catch (error) {
        // Never keep axios' error: its config holds the request headers, credentials included.
        return interrupted() ?? fail('network', `cannot reach ${origin(url)} (${codeOf(error)})`);
      }
      const status = response.status;
      const headers = flatHeaders(response.headers);

      if (status >= 300 && status < 400 && headers.location !== undefined) {
        response.data.destroy();
        const next = resolveLocation(url, headers.location);
        if (!next || origin(next) !== origin(url)) {
          return fail(
            'http',
            `HTTP ${status}: redirected to ${next ? origin(next) : 'an unreadable location'}, another host; not followed, so credentials stay with ${origin(url)}`,
            { retryable: false, status, headers },
          );
        }
        if (hop >= maxRedirects) {
          return fail('http', `HTTP ${status}: more than ${maxRedirects} redirects`, {
            retryable: false,
            status,
            headers,
          });
        }
        url = next;
        continue;
      }

      const from = url;
      const bodyFailure = (body: Exclude<BodyOutcome, { kind: 'whole' }>, status: number): NetFailure => {
        if (body.kind === 'interrupted')
          return interrupted() ?? fail('network', 'the request was interrupted');
        if (body.kind === 'cut-short') {
          return fail(
            'network',
            `the answer from ${origin(from)} (HTTP ${status}) was cut short after ${body.bytes} bytes (${body.why})`,
          );
        }
        return fail(
          'too-large',
          `HTTP ${status}: the answer is larger than ${formatBytes(maxBytes)} (after decompression); raise maxResponseBytes if it is expected`,
          { status },
        );
      };

      if (status >= 200 && status < 300)
        return await readOk({ status, headers, data: response.data }, { signal, maxBytes, bodyFailure });

      // Error bodies too may carry data (Grafana's 400 holds every query's frames): the same cap.
      const body = await readBody(response.data, maxBytes, signal);
      if (body.kind !== 'whole') return bodyFailure(body, status);
      const text = body.text;
      const detail = errorDetail(text, secrets);
      return fail('http', `HTTP ${status}${detail ? `: ${detail}` : ''}`, {
        retryable: isTransientStatus(status),
        status,
        headers,
        text,
        ...(status === 429 || status === 503
          ? { retryAfterMs: retryAfterMs(headers['retry-after'], (req.now ?? Date.now)()) }
          : {}),
      });
    }
  } finally {
    clearTimeout(timeout);
  }
}

type BodyOutcome =
  | { kind: 'whole'; text: string }
  | { kind: 'too-large' }
  | { kind: 'cut-short'; bytes: number; why: string }
  | { kind: 'interrupted' };

/**
 * Read a body up to `limit` bytes, into the sink if there is one; destroying the stream stops a gzip
 * bomb mid-inflate.
 */
function readBody(
  stream: Readable,
  limit: number,
  signal: AbortSignal,
  sink?: (chunk: Buffer) => void,
): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (outcome: BodyOutcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
      resolve(outcome);
    };
    const onAbort = () => settle({ kind: 'interrupted' });
    if (signal.aborted) return settle({ kind: 'interrupted' });
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        chunks.length = 0;
        settle({ kind: 'too-large' });
      } else if (sink) {
        sink(chunk);
      } else {
        chunks.push(chunk);
      }
    });
    stream.on('end', () =>
      settle({ kind: 'whole', text: sink ? '' : Buffer.concat(chunks).toString('utf8') }),
    );
    stream.on('error', (error: unknown) =>
      settle(signal.aborted ? { kind: 'interrupted' } : { kind: 'cut-short', bytes, why: codeOf(error) }),
    );
    stream.on('close', () => {
      if (!settled)
        settle(signal.aborted ? { kind: 'interrupted' } : { kind: 'cut-short', bytes, why: 'closed' });
    });
  });
}

/**
 * The lines of a body as it arrives, counted against `limit` after decompression. The iterator
 * throws when the body stops early; `stopped` then says how (and stays set if the reader swallowed
 * the throw). `close` lets go of the stream when the reader is done.
 */
function linesOf(
  stream: Readable,
  limit: number,
  signal: AbortSignal,
): {
  lines: AsyncIterable<string>;
  stopped: () => Exclude<BodyOutcome, { kind: 'whole' }> | undefined;
  close: () => void;
} {
  let stop: Exclude<BodyOutcome, { kind: 'whole' }> | undefined;
  let bytes = 0;
  const halt = (outcome: Exclude<BodyOutcome, { kind: 'whole' }>): never => {
    stop ??= outcome;
    stream.destroy();
    throw new Error(`the answer stopped: ${stop.kind}`);
  };
  // The caller's abort or the timeout ends a slow body even between two chunks.
  const onAbort = () => stream.destroy();
  async function* lines(): AsyncGenerator<string> {
    if (signal.aborted) halt({ kind: 'interrupted' });
    signal.addEventListener('abort', onAbort, { once: true });
    const decoder = new StringDecoder('utf8');
    let pending = '';
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > limit) {
          pending = '';
          halt({ kind: 'too-large' });
        }
        pending += decoder.write(chunk);
        let from = 0;
        for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n', from)) {
          const line = pending.slice(from, at);
          from = at + 1;
          yield line.endsWith('\r') ? line.slice(0, -1) : line;
        }
        pending = pending.slice(from);
      }
    } catch (error) {
      if (stop) throw error;
      halt(signal.aborted ? { kind: 'interrupted' } : { kind: 'cut-short', bytes, why: codeOf(error) });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    pending += decoder.end();
    if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
  }
  return {
    lines: lines(),
    stopped: () => stop,
    close: () => {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    },
  };
}

/** The readable part of an error body: a JSON `error`/`message`/`errors`, else the text (not HTML). */
function errorDetail(text: string, secrets: readonly (string | undefined)[]): string {
  let detail = text;
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      const errors = Array.isArray(b.errors) ? b.errors.map(errorText).filter(Boolean).join('; ') : '';
      const found = [b.error, b.message, errors].find((v) => typeof v === 'string' && v.trim() !== '');
      if (typeof found === 'string') detail = found;
    }
  } catch {
    // A proxy's HTML error page says nothing the status does not.
    if (/^\s*</.test(text)) detail = '';
  }
  return safeText(detail, secrets, detailChars);
}

/** Datadog's `errors` entries: strings, or `{ detail, title }` objects. */
function errorText(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  if (!entry || typeof entry !== 'object') return '';
  const { detail, title } = entry as Record<string, unknown>;
  return typeof detail === 'string' ? detail : typeof title === 'string' ? title : '';
}

function flatHeaders(headers: IncomingHttpHeaders | Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : `${value as string | number}`;
  }
  return out;
}

function resolveLocation(from: string, location: string): string | undefined {
  try {
    return new URL(location, from).toString();
  } catch {
    return undefined;
  }
}

/** scheme://host:port, without credentials or path: safe to show. */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

function codeOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string' && e.code !== 'ERR_BAD_RESPONSE') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return 'network error';
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024
    ? `${Math.round(n / 1024 / 1024)} MB`
    : n >= 1024
      ? `${Math.round(n / 1024)} KB`
      : `${n} bytes`;
}
