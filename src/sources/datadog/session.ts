/**
 * One fetch's conversation with Datadog: every request goes through `call`, which waits for rate-limit
 * budget, bounds the attempt with a timeout, retries what is worth retrying through the shared policy,
 * counts requests and retries, and turns whatever went wrong into a DatadogCallError whose message
 * never holds a key.
 */
import { redact } from '../../errors';
import { safeText, secretForms } from '../../net/text';
import type { Logger } from '../../logger';
import { retryAfterMs, retriesOf, withRetry, type RetryDecision, type RetryPolicy } from '../../net/retry';
import {
  createApis,
  datadog,
  type AnswerReader,
  type ApiCredentials,
  type DatadogApis,
  type DatadogEndpoint,
  type Exchange,
} from './client';
import { RateBudgetExhausted, RateLimitBudget, parseRateLimitHeaders } from './rate-limit';
import { apiErrorBodySchema } from './schema';

/** Which endpoint a call hits; rate-limit budgets are kept per endpoint until Datadog names the limit. */
export type Operation = 'query-timeseries' | 'query-v1' | 'list-events';

export type CallErrorKind =
  | 'auth' // 401/403: keys or site wrong; nothing else will work either
  | 'query' // 400/422 or an error inside a 200: this query is wrong
  | 'not-found' // 404: the endpoint (or a proxy path) is missing
  | 'rate-limit' // 429
  | 'server' // 5xx, 408
  | 'network' // no answer: refused, reset, DNS
  | 'timeout' // no answer within timeoutMs
  | 'body' // an answer we cannot read
  | 'too-large' // an answer over maxResponseBytes: never retried
  | 'redirect' // sent elsewhere (another host): not followed, so the keys stay with Datadog
  | 'budget' // rate-limit or time budget spent before the request could start
  | 'aborted'; // the caller gave up

const retryable = new Set<CallErrorKind>(['rate-limit', 'server', 'network', 'timeout']);

export class DatadogCallError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
    readonly status?: number,
    /** Server-given wait before the next try (X-RateLimit-Reset or Retry-After). */
    readonly waitMs?: number,
  ) {
    super(message);
    this.name = 'DatadogCallError';
  }
}

export interface SessionOptions {
  sourceId: string;
  endpoint: DatadogEndpoint;
  credentials: ApiCredentials;
  timeoutMs: number;
  /** Largest answer accepted, after decompression (the edge's default when unset). */
  maxBytes?: number;
  maxAttempts: number;
  /** Epoch ms after which no request or retry starts. */
  deadline: number;
  /** Bound on one call's attempts and waits together. */
  maxCallMs: number;
  logger: Logger;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  signal: AbortSignal;
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function describeStatus(status: number): string {
  const text = statusText[status];
  return text ? `${status} ${text}` : String(status);
}

/** The first readable error text of an answer, shortened. */
function errorDetail(bodyText: string | undefined, secrets: readonly string[]): string {
  if (!bodyText) return '';
  let detail: string;
  try {
    const parsed = apiErrorBodySchema.safeParse(JSON.parse(bodyText));
    detail = parsed.success
      ? parsed.data.errors.map((e) => (typeof e === 'string' ? e : (e.detail ?? e.title ?? ''))).join('; ')
      : bodyText;
  } catch {
    // A proxy's HTML error page says nothing the status does not.
    detail = /^\s*</.test(bodyText) ? '' : bodyText;
  }
  return safeText(detail, secrets, 200);
}

export class DatadogSession {
  requests = 0;
  retries = 0;
  /** Set by the first 401/403: every later call fails at once with the same message. */
  fatal?: DatadogCallError;
  private readonly budget: RateLimitBudget;

  constructor(private readonly o: SessionOptions) {
    this.budget = new RateLimitBudget({ now: o.now, sleep: o.sleep });
  }

  /** Time spent reading answers into series (inside the fetch's wall time), for the parse phase. */
  parseMs = 0;

  /** The reader with its work counted as parsing. */
  private timedReader(reader: AnswerReader): AnswerReader {
    return {
      write: (chunk) => this.timed(() => reader.write(chunk)),
      end: () => this.timed(() => reader.end()),
    };
  }

  /** Run `work`, adding its time to parseMs. */
  timed<T>(work: () => T): T {
    const started = this.o.now();
    try {
      return work();
    } finally {
      this.parseMs += this.o.now() - started;
    }
  }

  /** Outside text (an error inside an answer) made safe to show: flattened, scrubbed, then cut. */
  safe(text: string, max = 200): string {
    return safeText(text, [this.o.credentials.apiKey, this.o.credentials.appKey], max);
  }

  /** Remove both keys from a text (and anything it was built from). */
  redact(text: string): string {
    return redact(text, secretForms([this.o.credentials.apiKey, this.o.credentials.appKey]));
  }

  /**
   * Make one logical request (with its retries). `invoke` uses the client; `parse` checks the
   * client's result and may throw a DatadogCallError ('query' or 'body'). `reader`, if given, makes the
   * reader of each attempt's 2xx answer (see Exchange.reader); its time counts as parsing.
   */
  async call<T>(
    operation: Operation,
    invoke: (apis: DatadogApis) => Promise<unknown>,
    parse: (result: unknown) => T,
    reader?: () => AnswerReader,
  ): Promise<T> {
    if (this.fatal) throw this.fatal;
    if (this.o.signal.aborted) throw new DatadogCallError('aborted', 'not started: the fetch was aborted');
    const left = this.o.deadline - this.o.now();
    if (left <= 0)
      throw new DatadogCallError('budget', 'not started: the time budget for this source is spent');
    const policy: RetryPolicy = {
      maxAttempts: this.o.maxAttempts,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      maxTotalMs: Math.min(this.o.maxCallMs, left),
    };
    try {
      const outcome = await withRetry(
        () => this.attempt(operation, invoke, parse, reader),
        (error) => this.decide(error),
        policy,
        { now: this.o.now, sleep: this.o.sleep, random: this.o.random },
        this.o.signal,
      );
      this.retries += outcome.retries;
      return outcome.value;
    } catch (error) {
      const retries = retriesOf(error);
      this.retries += retries;
      const e = this.asCallError(error);
      const tries = retries > 0 ? ` (gave up after ${retries + 1} attempts)` : '';
      const final = new DatadogCallError(e.kind, this.redact(`${e.message}${tries}`), e.status, e.waitMs);
      if (final.kind === 'auth' || final.kind === 'redirect') this.fatal = final;
      throw final;
    }
  }

  private decide(error: unknown): RetryDecision {
    if (!(error instanceof DatadogCallError) || !retryable.has(error.kind) || this.o.signal.aborted)
      return { retry: false };
    return { retry: true, waitMs: error.waitMs };
  }

  private asCallError(error: unknown): DatadogCallError {
    if (error instanceof DatadogCallError) return error;
    if (this.o.signal.aborted) return new DatadogCallError('aborted', 'aborted');
    return new DatadogCallError('body', error instanceof Error ? error.message : String(error));
  }

  private async attempt<T>(
    operation: Operation,
    invoke: (apis: DatadogApis) => Promise<unknown>,
    parse: (result: unknown) => T,
    reader?: () => AnswerReader,
  ): Promise<T> {
    if (this.fatal) throw this.fatal;
    let release: () => void;
    try {
      release = await this.budget.acquire(operation, this.o.deadline, this.o.signal);
    } catch (error) {
      if (error instanceof RateBudgetExhausted)
        throw new DatadogCallError('budget', `not started: ${error.message}`);
      throw error;
    }
    // The client loads on first use (about a second of compiling): before the request's clock starts,
    // so a cold start never counts against the request's timeout.
    datadog();
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const signal = AbortSignal.any([this.o.signal, timeout]);
    const exchange: Exchange = {
      headers: {},
      ...(reader ? { reader: () => this.timedReader(reader()) } : {}),
    };
    const started = this.o.now();
    this.requests++;
    try {
      const result = await invoke(
        createApis(this.o.endpoint, this.o.credentials, signal, exchange, {
          timeoutMs: this.o.timeoutMs,
          maxBytes: this.o.maxBytes,
          secrets: [this.o.credentials.apiKey, this.o.credentials.appKey],
          now: this.o.now,
        }),
      );
      return this.timed(() => parse(result));
    } catch (error) {
      throw this.classify(error, exchange, timeout);
    } finally {
      if (exchange.status !== undefined) this.budget.record(operation, exchange.headers);
      release();
      this.o.logger.debug(
        `${this.o.sourceId}: ${operation} → ${exchange.status ?? 'no answer'} in ${this.o.now() - started} ms`,
      );
    }
  }

  private classify(error: unknown, exchange: Exchange, timeout: AbortSignal): DatadogCallError {
    if (error instanceof DatadogCallError) return error;
    if (this.o.signal.aborted) return new DatadogCallError('aborted', 'aborted');
    if (timeout.aborted && exchange.bodyText === undefined)
      return new DatadogCallError('timeout', `no answer within ${this.o.timeoutMs} ms`);
    const failure = exchange.failure;
    if (failure) {
      // The edge's words are already flattened and scrubbed.
      if (failure.kind === 'timeout') return new DatadogCallError('timeout', failure.message);
      if (failure.kind === 'network') return new DatadogCallError('network', failure.message);
      if (failure.kind === 'too-large')
        return new DatadogCallError('too-large', failure.message, failure.status);
      if (failure.kind === 'cancelled') return new DatadogCallError('aborted', 'aborted');
      // A refused redirect: every later request would be sent the same way, so it is fatal like a 401.
      return new DatadogCallError('redirect', failure.message, failure.status);
    }
    // The client's ApiException has the status too, but the exchange always has it when there was one.
    const status = exchange.status;
    if (status === undefined) {
      if (timeout.aborted) return new DatadogCallError('timeout', `no answer within ${this.o.timeoutMs} ms`);
      const code = (error as { code?: unknown } | null)?.code;
      const why = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
      return new DatadogCallError('network', `request failed: ${why}`);
    }
    const detail = errorDetail(exchange.bodyText, [this.o.credentials.apiKey, this.o.credentials.appKey]);
    const answered = `Datadog answered ${describeStatus(status)}${detail ? `: ${detail}` : ''}`;
    if (status >= 200 && status < 300) {
      // JSON.parse's message quotes the body: outside text, so it is made safe like any other.
      const why = safeText(
        error instanceof Error ? error.message : String(error),
        [this.o.credentials.apiKey, this.o.credentials.appKey],
        160,
      );
      return new DatadogCallError('body', `unreadable answer (${why})`, status);
    }
    if (status === 401 || status === 403) {
      return new DatadogCallError(
        'auth',
        `Datadog answered ${describeStatus(status)}: check apiKey and appKey (the application key needs the ` +
          `timeseries_query and events_read scopes) and that they belong to ${this.o.endpoint.display}`,
        status,
      );
    }
    if (status === 429) {
      const h = parseRateLimitHeaders(exchange.headers);
      const wait = h.resetMs ?? retryAfterMs(exchange.headers['retry-after'], this.o.now());
      return new DatadogCallError('rate-limit', `${answered} (rate limited)`, status, wait);
    }
    if (status === 404) return new DatadogCallError('not-found', answered, status);
    if (status === 408 || status >= 500) {
      return new DatadogCallError(
        'server',
        answered,
        status,
        retryAfterMs(exchange.headers['retry-after'], this.o.now()),
      );
    }
    return new DatadogCallError('query', answered, status);
  }
}
