/**
 * The one retry policy every HTTP adapter and delivery channel shares: bounded attempts, exponential
 * backoff with full jitter, a server-given wait (429 reset / Retry-After) honoured when it fits the
 * remaining time budget, and a bound on total time.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles each retry, with full jitter. */
  baseDelayMs: number;
  /** Largest single backoff. */
  maxDelayMs: number;
  /** No retry starts once this much time has passed since the first attempt. */
  maxTotalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxTotalMs: 60_000,
};

/** What an attempt's failure means for the next try. */
export interface RetryDecision {
  retry: boolean;
  /** Wait exactly this long before the next attempt (e.g. X-RateLimit-Reset, Retry-After). */
  waitMs?: number;
}

export interface RetryDeps {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

export interface RetryOutcome<T> {
  value: T;
  /** Retries taken (attempts − 1). */
  retries: number;
}

/**
 * Run `attempt` until it succeeds, `decide` says not to retry, or the budget runs out.
 * Throws the last error, with `retries` attached as a property for health accounting.
 */
export async function withRetry<T>(
  attempt: (attemptNo: number) => Promise<T>,
  decide: (error: unknown) => RetryDecision,
  policy: RetryPolicy,
  deps: RetryDeps,
  signal?: AbortSignal,
): Promise<RetryOutcome<T>> {
  const started = deps.now();
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return { value: await attempt(attemptNo), retries: attemptNo - 1 };
    } catch (error) {
      const decision = decide(error);
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNo - 1));
      const waitMs = decision.waitMs ?? Math.round(backoff * deps.random());
      const elapsed = deps.now() - started;
      const exhausted = attemptNo >= policy.maxAttempts || elapsed + waitMs > policy.maxTotalMs;
      if (!decision.retry || exhausted || signal?.aborted) {
        throw withRetryCount(error, attemptNo - 1);
      }
      await deps.sleep(waitMs, signal);
    }
  }
}

/** The error as thrown, with the retry count attached (errors from another realm fail `instanceof`). */
function withRetryCount(error: unknown, retries: number): Error {
  const err = typeof error === 'object' && error !== null ? (error as Error) : new Error(String(error));
  return Object.assign(err, { retries });
}

/** Retries taken before `error` was thrown by withRetry (0 when unknown). */
export function retriesOf(error: unknown): number {
  const n = (error as { retries?: unknown } | null)?.retries;
  return typeof n === 'number' ? n : 0;
}

/** Transient HTTP statuses: rate limited, or the server had trouble. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date), as milliseconds. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A sleep that ends early (rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
