/** Delivery channels: each returns a result instead of throwing, so every channel is always tried. */
import type { Logger } from '../logger';
import type { Report } from '../report/types';

export type DeliveryResult =
  | { channel: string; status: 'sent' | 'dry-run' | 'skipped'; detail: string }
  | { channel: string; status: 'failed'; error: string };

/** What a channel gets: the report, the files already written, and injected I/O. */
export interface DeliveryContext {
  report: Report;
  /** Folder the report files were written to (before any channel runs). */
  outDir: string;
  /** Render and say what would be sent to whom, but send nothing. */
  dryRun: boolean;
  logger: Logger;
  env: Record<string, string | undefined>;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  /** Values that must never appear in a message (keys, webhook URLs, SMTP passwords). */
  secrets: string[];
}

export interface DeliveryChannel {
  /** Channel name used in logs and exit messages: "email", "slack", "github-summary". */
  readonly name: string;
  deliver(ctx: DeliveryContext): Promise<DeliveryResult>;
}
