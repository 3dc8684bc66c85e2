/**
 * What the HTTP adapters (Prometheus, Grafana, Splunk, PagerDuty) and doctor share on top of the one
 * network edge (src/net/http.ts, which sends every request: timeout over the body, size cap,
 * same-origin redirects, scrubbed text): the retry policy (src/net/retry.ts) on 429/5xx/timeouts/
 * network errors, messages that name the source and never carry a secret, and request/retry counts
 * for the source's health.
 *
 * It also stops early when going on is pointless: after a 401/403/404 every later request would fail
 * the same way, and after two requests in a row used up their retries the server is taken as down.
 */
import { SourceError, redact } from '../errors';
import {
  request as netRequest,
  requestLines as netRequestLines,
  type NetFailure,
  type NetRequest,
} from '../net/http';
import { cut as cutText, flatten, safeText, secretForms } from '../net/text';
import type { SourceHealth } from './types';
import {
  defaultRetryPolicy,
  isTransientStatus,
  retriesOf,
  retryAfterMs,
  withRetry,
  type RetryDecision,
  type RetryDeps,
  type RetryPolicy,
} from '../net/retry';

export { defaultTimeoutMs } from '../net/http';
import { defaultTimeoutMs } from '../net/http';

/** Why a request failed; decides retrying, stopping early and the wording. */
export type FailureKind =
  | 'auth' // 401/403: wrong or under-privileged credentials
  | 'not-found' // 404: wrong URL (or, for Grafana, datasource)
  | 'rejected' // other 4xx: this request is wrong, retrying will not help
  | 'unavailable' // 429/5xx
  | 'timeout'
  | 'network'
  | 'malformed' // an answer we cannot read
  | 'too-large' // an answer over the size limit: never retried
  | 'cancelled'
  | 'skipped'; // not sent: an earlier failure made it pointless

/** A failed request. Its message starts with `source "<id>":` and holds no secret. */
export class RequestFailure extends SourceError {
  constructor(
    sourceId: string,
    readonly kind: FailureKind,
    message: string,
    status?: number,
    /** The Retry-After header of a 429/503, if any. */
    readonly retryAfter?: string,
  ) {
    super(sourceId, message, status);
    this.name = 'RequestFailure';
  }

  /** Worth another attempt. */
  get transient(): boolean {
    return this.kind === 'unavailable' || this.kind === 'timeout' || this.kind === 'network';
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path below the source's url, starting with "/". */
  path: string;
  /** Query string; array values repeat the key (`tags=a&tags=b`). */
  params?: Record<string, string | number | readonly string[]>;
  /** A query string built by the adapter, sent as it is (e.g. PagerDuty's `service_ids[]=…`). */
  query?: URLSearchParams;
  /** JSON body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
}

/** A status the adapter reads itself, with its body parsed as JSON (undefined when not JSON). */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

export interface HttpClientOptions {
  sourceId: string;
  baseUrl: string;
  /** Sent with every request, e.g. Authorization. */
  headers: Record<string, string>;
  /** Scrubbed from every message. */
  secrets: readonly (string | undefined)[];
  timeoutMs?: number;
  maxAttempts?: number;
  deps: RetryDeps;
  /** Non-2xx statuses whose body the adapter interprets (Prometheus 400/422, Grafana 400/207). */
  readsBody?: (status: number) => boolean;
  /** Appended to a 401/403 message: what to check. */
  authHint: string;
  /** Appended to a 404 message: what to check. */
  notFoundHint: string;
  /** TLS settings for https URLs (a private CA, or no verification for a self-signed test server). */
  tls?: TlsSettings;
  /** Largest answer accepted (after decompression); the edge's default when unset. */
  maxBytes?: number;
}

/** TLS settings as the config gives them, the CA already read from its file. */
export interface TlsSettings {
  /** PEM certificates to trust in addition to the system's. */
  ca?: string;
  /**
   * Skip certificate verification (self-signed management ports only: it also accepts an impostor).
   * Loading the config warns about it, naming the source (src/config/load.ts insecureTlsWarnings).
   */
  insecure?: boolean;
}

/** Consecutive requests that used up their retries on a transient error before the rest are skipped. */
const consecutiveFailuresToStop = 2;

export class HttpClient {
  /** HTTP requests sent, retries included. */
  requests = 0;
  /** Attempts beyond the first. */
  retries = 0;

  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly shownUrl: string;
  private stopped?: RequestFailure;
  private consecutiveFailures = 0;

  constructor(private readonly options: HttpClientOptions) {
    this.policy = {
      ...defaultRetryPolicy,
      maxAttempts: options.maxAttempts ?? defaultRetryPolicy.maxAttempts,
    };
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.shownUrl = withoutCredentials(options.baseUrl);
  }

  /** Send with retries. Resolves with 2xx answers and those `readsBody` accepts; throws RequestFailure. */
  async send(request: HttpRequest, signal: AbortSignal): Promise<HttpAnswer> {
    return this.withPolicy(() => this.attempt(request, signal), signal);
  }

  /**
   * Send with retries and read a 2xx answer line by line as it arrives (newline-delimited JSON such
   * as Splunk's export stream). `read` runs once per attempt with a fresh stream, so it must start
   * from scratch each time; what it returns is the result. A connection cut mid-answer is a network
   * failure (retried); a RequestFailure thrown by `read` ends the request as it says.
   */
  async sendLines<T>(
    request: HttpRequest,
    signal: AbortSignal,
    read: (lines: AsyncIterable<string>) => Promise<T>,
  ): Promise<T> {
    return this.withPolicy(() => this.attemptLines(request, signal, read), signal);
  }

  private async withPolicy<T>(attempt: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.stopped) throw this.fail('skipped', `not sent: ${stripSource(this.stopped.message)}`);
    try {
      const { value, retries } = await withRetry(
        attempt,
        (error) => this.decide(error),
        this.policy,
        this.options.deps,
        signal,
      );
      this.retries += retries;
      this.consecutiveFailures = 0;
      return value;
    } catch (error) {
      this.retries += retriesOf(error);
      const failure =
        error instanceof RequestFailure
          ? error
          : signal.aborted
            ? this.fail('cancelled', 'cancelled')
            : this.fail('network', describeUnexpected(error, this.options.secrets));
      if (failure.kind === 'auth' || failure.kind === 'not-found') this.stopped ??= failure;
      if (failure.transient && ++this.consecutiveFailures >= consecutiveFailuresToStop)
        this.stopped ??= failure;
      throw failure;
    }
  }

  private decide(error: unknown): RetryDecision {
    if (!(error instanceof RequestFailure) || !error.transient) return { retry: false };
    return { retry: true, waitMs: retryAfterMs(error.retryAfter, this.options.deps.now()) };
  }

  /** One attempt through the network edge (src/net/http.ts): timeout over the body, size cap, same-origin redirects. */
  private async attempt(request: HttpRequest, signal: AbortSignal): Promise<HttpAnswer> {
    if (signal.aborted) throw this.fail('cancelled', 'cancelled');
    this.requests++;
    const result = await netRequest(this.netRequest(request, signal));

    if (result.kind === 'ok' || (result.kind === 'http' && this.options.readsBody?.(result.status!))) {
      const status = result.status!;
      const text = result.text ?? '';
      const body = parseJson(text);
      if (body === undefined) {
        throw this.fail(
          'malformed',
          `${whereOf(request)} answered HTTP ${status} with a body that is not JSON: ${safeText(text, this.options.secrets, 120)}`,
          status,
        );
      }
      return { status, body };
    }
    throw this.failureOf(result, request);
  }

  /**
   * One attempt read line by line, through the same edge: the timeout covers the whole stream, the
   * size cap counts its decompressed bytes, redirects stay within the origin.
   */
  private async attemptLines<T>(
    request: HttpRequest,
    signal: AbortSignal,
    read: (lines: AsyncIterable<string>) => Promise<T>,
  ): Promise<T> {
    if (signal.aborted) throw this.fail('cancelled', 'cancelled');
    this.requests++;
    const result = await netRequestLines(this.netRequest(request, signal), read);
    if (result.kind === 'ok') return result.value;
    throw this.failureOf(result, request);
  }

  /** The edge's request for one of ours: the source's url, headers, secrets, limits and TLS. */
  private netRequest(request: HttpRequest, signal: AbortSignal): NetRequest {
    const base = this.options.baseUrl.replace(/\/+$/, '');
    const path = request.query ? `${request.path}?${request.query.toString()}` : request.path;
    const body = request.form
      ? new URLSearchParams(request.form).toString()
      : request.json === undefined
        ? undefined
        : JSON.stringify(request.json);
    const contentType = request.form
      ? 'application/x-www-form-urlencoded'
      : body !== undefined
        ? 'application/json'
        : undefined;
    return {
      method: request.method,
      url: withParams(base + path, request.params),
      headers: {
        Accept: 'application/json',
        ...this.options.headers,
        ...(contentType ? { 'Content-Type': contentType } : {}),
      },
      body,
      timeoutMs: this.timeoutMs,
      maxBytes: this.options.maxBytes,
      tls: this.options.tls,
      signal,
      secrets: this.options.secrets,
      now: this.options.deps.now,
    };
  }

  /** The RequestFailure an edge failure means, in this source's words. */
  private failureOf(result: NetFailure, request: HttpRequest): RequestFailure {
    const where = whereOf(request);
    switch (result.kind) {
      case 'cancelled':
        return this.fail('cancelled', `cancelled (${where})`);
      case 'timeout':
        return this.fail('timeout', `${result.message} (${where} at ${this.shownUrl})`);
      case 'network':
        return this.fail('network', result.message);
      case 'too-large':
        return this.fail('too-large', `${where}: ${result.message}`, result.status);
      case 'malformed':
        return this.fail('malformed', `${where}: ${result.message}`, result.status);
      case 'http':
        break;
    }
    const status = result.status!;
    // A refused redirect (another host) has no body to read: the edge's words say it.
    if (status >= 300 && status < 400) return this.fail('rejected', `${where}: ${result.message}`, status);
    const text = result.text ?? '';
    return this.failureFor(status, parseJson(text), text, result.headers ?? {}, where);
  }

  /** The failure a non-2xx answer means. */
  private failureFor(
    status: number,
    body: unknown,
    text: string,
    headers: Record<string, unknown>,
    where: string,
  ): RequestFailure {
    // Scrubbed and flattened before it is cut: no piece of a secret survives at the cut.
    const raw = errorDetail(body, text);
    const detail = /^\s*</.test(raw) ? '' : safeText(raw, this.options.secrets);
    const said = `HTTP ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 401 || status === 403) {
      return this.fail(
        'auth',
        `${status === 401 ? 'not authenticated' : 'not allowed'} (${said}); ${this.options.authHint}`,
        status,
      );
    }
    if (status === 404)
      return this.fail('not-found', `${where}: ${said}; ${this.options.notFoundHint}`, status);
    if (isTransientStatus(status)) {
      const retryAfter = headers['retry-after'];
      return this.fail(
        'unavailable',
        `${where}: ${said}`,
        status,
        typeof retryAfter === 'string' ? retryAfter : undefined,
      );
    }
    return this.fail('rejected', `${where}: ${said}`, status);
  }

  private fail(kind: FailureKind, message: string, status?: number, retryAfter?: string): RequestFailure {
    return new RequestFailure(
      this.options.sourceId,
      kind,
      redact(message, secretForms(this.options.secrets)),
      status,
      retryAfter,
    );
  }
}

/** Run `task` over `items` with at most `limit` running at once; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The message without its `source "id": ` prefix, to nest it in another source message. */
export function stripSource(message: string): string {
  return message.replace(/^source "[^"]*": /, '');
}

/** Secrets a bearer or basic-auth credential shows up as. */
export function credentialForms(token: string | undefined): string[] {
  if (!token) return [];
  return [token, Buffer.from(token).toString('base64')];
}

/** `Authorization` for a token: "user:password" means basic auth, anything else is a bearer token. */
export function authorization(token: string | undefined): Record<string, string> {
  if (!token) return {};
  return {
    Authorization: token.includes(':') ? `Basic ${Buffer.from(token).toString('base64')}` : `Bearer ${token}`,
  };
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The useful part of an error body: Prometheus `error`, Grafana `message`, Splunk `messages[].text`,
 * PagerDuty `error.message`, else the start of the text.
 */
/** Raw: the caller scrubs, flattens and cuts it (in that order). */
function errorDetail(body: unknown, text: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const key of ['error', 'message']) {
      if (typeof b[key] === 'string' && b[key]) return b[key];
    }
    const nested = b.error as Record<string, unknown> | undefined;
    if (nested && typeof nested === 'object' && typeof nested.message === 'string') {
      const errors = Array.isArray(nested.errors) ? nested.errors.filter((e) => typeof e === 'string') : [];
      return [nested.message, ...errors].join(': ');
    }
    if (Array.isArray(b.messages)) {
      const texts = b.messages
        .map((m: unknown) => (m && typeof m === 'object' ? (m as { text?: unknown }).text : undefined))
        .filter((t): t is string => typeof t === 'string' && t !== '');
      if (texts.length > 0) return texts.join('; ');
    }
  }
  return text;
}

/** Our own text (a query, say) on one line and cut; outside text goes through safeText instead. */
export function snippet(text: string, max = 300): string {
  return cutText(flatten(text), max);
}

/** "POST /services/search/v2/jobs/export": a request as messages name it. */
function whereOf(request: HttpRequest): string {
  return `${request.method} ${request.path}`;
}

/** The URL with `a=1&tags=x&tags=y` appended (array values repeat the key). */
function withParams(url: string, params: HttpRequest['params']): string {
  if (!params) return url;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) search.append(key, v);
    else search.append(key, String(value));
  }
  const text = search.toString();
  if (!text) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${text}`;
}

function describeUnexpected(error: unknown, secrets: readonly (string | undefined)[]): string {
  return safeText(error instanceof Error ? error.message : String(error), secrets);
}

// Health accounting shared by the adapters.

/** Distinct messages kept in health.errors. */
const maxHealthErrors = 20;

export function messageOf(error: unknown): string {
  if (typeof error === 'string') return error;
  return error instanceof Error ? error.message : String(error);
}

/** Distinct messages, at most `maxHealthErrors`, with a count of the rest. */
export function distinctErrors(messages: readonly string[]): string[] {
  const distinct = [...new Set(messages)];
  if (distinct.length <= maxHealthErrors) return distinct;
  return [...distinct.slice(0, maxHealthErrors), `… and ${distinct.length - maxHealthErrors} more errors`];
}

/** failed: nothing usable came back; partial: some metrics (or the events) are missing. */
export function statusOf(members: number, failures: number, errors: number): SourceHealth['status'] {
  if (members > 0 && failures >= members) return 'failed';
  return failures > 0 || errors > 0 ? 'partial' : 'ok';
}
