/**
 * The few error types scrumops raises. Each carries the context a reader needs to act on it;
 * the CLI maps them to exit codes (ConfigError/UsageError → 2, anything else → 1). Delivery channels
 * return results instead of throwing (src/deliver/types.ts).
 */

/** A problem in the config file or its environment; `path` is the dotted path inside the file. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A bad command-line argument or input file (not the config). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** A metric source failed. The message names the source id and never holds a secret. */
export class SourceError extends Error {
  constructor(
    readonly sourceId: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`source "${sourceId}": ${message}`, options);
    this.name = 'SourceError';
  }
}

/** Scrubbing lives with the other text helpers in src/report/redact.ts; re-exported for old callers. */
export { redact } from './report/redact';
