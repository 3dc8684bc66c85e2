/**
 * Datadog's rate-limit headers, kept per limit so that no request starts once the budget is spent.
 *
 * Datadog sends on every answer `X-RateLimit-Limit` (requests per period), `-Period` (seconds),
 * `-Remaining` (left in this period), `-Reset` (seconds until the period restarts) and `-Name` (which
 * limit; several endpoints can share one). Each request reserves one unit of what remains when it
 * starts; once nothing remains we wait for the reset, or give up when that is past the deadline,
 * rather than earn a 429.
 */

export interface RateLimitDeps {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RateLimitHeaders {
  limit?: number;
  remaining?: number;
  /** Milliseconds until the period restarts. */
  resetMs?: number;
  periodMs?: number;
  name?: string;
}

interface LimitState {
  remaining?: number;
  /** Epoch ms at which `remaining` stops being true. */
  resetAt?: number;
  inFlight: number;
}

/** Thrown by acquire when the budget only comes back after the deadline. */
export class RateBudgetExhausted extends Error {
  constructor(readonly waitMs: number) {
    super(`rate limit spent; it resets in ${Math.ceil(waitMs / 1000)} s, past the time budget`);
    this.name = 'RateBudgetExhausted';
  }
}

function header(headers: Record<string, string>, name: string): string | undefined {
  return headers[name] ?? headers[name.toLowerCase()];
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Read the X-RateLimit-* headers (case-insensitively; the client lower-cases them). */
export function parseRateLimitHeaders(headers: Record<string, string>): RateLimitHeaders {
  const reset = int(header(headers, 'x-ratelimit-reset'));
  const period = int(header(headers, 'x-ratelimit-period'));
  return {
    limit: int(header(headers, 'x-ratelimit-limit')),
    remaining: int(header(headers, 'x-ratelimit-remaining')),
    resetMs: reset === undefined ? undefined : reset * 1000,
    periodMs: period === undefined ? undefined : period * 1000,
    name: header(headers, 'x-ratelimit-name') || undefined,
  };
}

export class RateLimitBudget {
  private readonly limits = new Map<string, LimitState>();
  /** Operation → the limit name Datadog reported for it. */
  private readonly names = new Map<string, string>();

  constructor(private readonly deps: RateLimitDeps) {}

  private state(operation: string): LimitState {
    const key = this.names.get(operation) ?? operation;
    let s = this.limits.get(key);
    if (!s) {
      s = { inFlight: 0 };
      this.limits.set(key, s);
    }
    return s;
  }

  /**
   * Wait until a request for `operation` may start, and reserve one unit of the budget for it.
   * Returns the release function to call once its answer (or failure) is in.
   */
  async acquire(operation: string, deadline: number, signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      const s = this.state(operation);
      const now = this.deps.now();
      if (s.resetAt !== undefined && now >= s.resetAt) {
        s.remaining = undefined;
        s.resetAt = undefined;
      }
      if (s.remaining === undefined || s.remaining > 0) {
        s.inFlight++;
        if (s.remaining !== undefined) s.remaining--;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          s.inFlight--;
        };
      }
      // Spent: the reset is the earliest moment another request may go out.
      const resetAt = s.resetAt ?? now;
      const wait = Math.max(0, resetAt - now);
      if (now + wait > deadline) throw new RateBudgetExhausted(wait);
      await this.deps.sleep(wait, signal);
      // Trust the reset even when the clock did not move (an injected clock): the period is over.
      if (s.resetAt === resetAt) {
        s.remaining = undefined;
        s.resetAt = undefined;
      }
    }
  }

  /** Learn from an answer's headers. */
  record(operation: string, headers: Record<string, string>): RateLimitHeaders {
    const h = parseRateLimitHeaders(headers);
    if (h.name) this.names.set(operation, h.name);
    if (h.remaining !== undefined) {
      const s = this.state(operation);
      // Called before this request is released: the others still in flight will spend budget too.
      s.remaining = h.remaining - Math.max(0, s.inFlight - 1);
      s.resetAt = h.resetMs !== undefined ? this.deps.now() + h.resetMs : (h.periodMs ?? 0) + this.deps.now();
    }
    return h;
  }
}
