/**
 * Slack delivery through an incoming webhook (https://api.slack.com/messaging/webhooks).
 *
 * The webhook URL is a credential: whoever holds it can post to the channel. It is never logged,
 * never put in an error or a result, and every message this channel emits goes through `redact`
 * with the URL, its path (the secret part) and the run's other secrets.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { redact } from '../../errors';
import { postmortemFile } from '../../render/postmortem';
import { NetError, request } from '../../net/http';
import { safeText } from '../../net/text';
import { defaultRetryPolicy, isTransientStatus, retriesOf, retryAfterMs, withRetry } from '../../net/retry';
import type { RetryDecision, RetryPolicy } from '../../net/retry';
import type { DeliveryChannel, DeliveryContext, DeliveryResult } from '../types';
import { slackPayload } from './payload';
import { redactReport } from '../../report/redact';

export { escapeMrkdwn, slackLimits, slackPayload } from './payload';
export type { SlackBlock, SlackMessage, SlackPayloadOptions, SlackText } from './payload';

export interface SlackChannelConfig {
  /** Incoming webhook URL, e.g. https://hooks.slack.com/services/T…/B…/…; a secret. */
  webhook: string;
  /** Where the HTML report can be opened, when the caller knows (linked from the message). */
  artifactUrl?: string;
  /** Per-attempt timeout; default 10 s. */
  timeoutMs?: number;
  /** Retry policy; default the shared one (4 attempts, at most 60 s). */
  retry?: RetryPolicy;
}

/** A non-2xx answer from Slack. Holds no URL: only the status and Slack's short error code. */
class SlackHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfter: string | null,
  ) {
    super(`HTTP ${status}${body ? ` ${body}` : ''}`);
    this.name = 'SlackHttpError';
  }
}

/** The Actions run page, when running on GitHub Actions. */
export function githubRunUrl(env: Record<string, string | undefined>): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: runId } = env;
  if (!server || !repo || !runId) return undefined;
  return `${server.replace(/\/+$/, '')}/${repo}/actions/runs/${runId}`;
}

function describe(error: unknown): string {
  if (error instanceof SlackHttpError) return error.message;
  if (error instanceof NetError)
    return error.failure.kind === 'timeout' ? 'request timed out' : error.failure.message;
  // Duck-typed: fetch's errors (TypeError, DOMException) may come from another realm.
  const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return 'request timed out';
  if (typeof message !== 'string') return String(error);
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${message} (${code})` : message;
}

/** Secrets to scrub: the URL, its path (the token part), and whatever else the run holds. */
function secretsFor(webhook: string, ctx: DeliveryContext): string[] {
  const secrets = [webhook, ...ctx.secrets];
  try {
    const { pathname, search } = new URL(webhook);
    if (pathname.length > 8) secrets.push(pathname, pathname.slice(1));
    if (search.length > 8) secrets.push(search);
  } catch {
    // Not a URL at all: the whole value is already in the list.
  }
  return secrets;
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

/** The bad stacks' post-mortem starters that are in the output folder (written with the md format). */
function writtenPostmortems(report: DeliveryContext['report'], outDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stack of report.stacks) {
    if (stack.verdict !== 'bad') continue;
    const file = postmortemFile(report, stack).path;
    if (existsSync(path.join(outDir, file))) out[stack.id] = file;
  }
  return out;
}

export function createSlackChannel(config: SlackChannelConfig): DeliveryChannel {
  const name = 'slack';
  const policy = config.retry ?? defaultRetryPolicy;
  const timeoutMs = config.timeoutMs ?? 10_000;

  return {
    name,
    async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      const secrets = secretsFor(config.webhook, ctx);
      const scrub = (text: string) => redact(text, secrets);
      // Secrets go before rendering: escaping (& → &amp;) would hide them from a later scrub.
      const report = redactReport(ctx.report, secrets);
      const payload = slackPayload(report, {
        runUrl: githubRunUrl(ctx.env),
        artifactUrl: config.artifactUrl,
        postmortems: writtenPostmortems(report, ctx.outDir),
      });
      const body = JSON.stringify(payload);
      const what = `${payload.blocks.length} blocks, ${report.summary.bad} bad stacks first (${body.length} bytes)`;

      if (!/^https?:$/.test(safeProtocol(config.webhook))) {
        // A deterministic mistake: retrying would not help. (The config schema also checks this.)
        const error = 'the Slack webhook is not an http(s) URL; check delivery.slack.webhook';
        ctx.logger.warn(`slack: ${error}`);
        return { channel: name, status: 'failed', error };
      }

      if (ctx.dryRun) {
        const detail = `would post to the Slack webhook: ${what} — "${payload.text}"`;
        ctx.logger.info(scrub(`slack: ${detail}`));
        return { channel: name, status: 'dry-run', detail: scrub(detail) };
      }

      const attempt = async (attemptNo: number): Promise<void> => {
        if (attemptNo > 1) ctx.logger.debug(`slack: attempt ${attemptNo}/${policy.maxAttempts}`);
        const result = await request({
          method: 'POST',
          url: config.webhook,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          timeoutMs,
          // Slack answers "ok" or a short code; anything longer is not Slack.
          maxBytes: 64 * 1024,
          secrets,
          now: ctx.now,
        });
        if (result.kind === 'ok') return;
        if (result.kind === 'http' && result.status !== undefined && result.status >= 400) {
          // Slack answers a short code (invalid_payload, no_service…) on failure.
          throw new SlackHttpError(
            result.status,
            safeText(result.text ?? '', secrets, 200),
            result.headers?.['retry-after'] ?? null,
          );
        }
        throw new NetError(result);
      };

      const decide = (error: unknown): RetryDecision => {
        let decision: RetryDecision;
        if (error instanceof SlackHttpError) {
          decision =
            error.status === 429
              ? { retry: true, waitMs: retryAfterMs(error.retryAfter, ctx.now()) }
              : { retry: isTransientStatus(error.status) };
        } else if (error instanceof NetError) {
          // Network trouble or a timeout: worth another try; a refused redirect or an oversize answer is not.
          decision = { retry: error.failure.retryable };
        } else {
          decision = { retry: true };
        }
        if (decision.retry)
          ctx.logger.warn(scrub(`slack: ${describe(error)}; will retry if the budget allows`));
        return decision;
      };

      try {
        const { retries } = await withRetry(attempt, decide, policy, ctx);
        const detail = `posted to Slack: ${what}${retries ? `, after ${retries} retries` : ''}`;
        ctx.logger.info(scrub(`slack: ${detail}`));
        return { channel: name, status: 'sent', detail: scrub(detail) };
      } catch (error) {
        const retries = retriesOf(error);
        const message = scrub(
          `Slack webhook failed: ${describe(error)}${retries ? ` (after ${retries} retries)` : ''}`,
        );
        ctx.logger.warn(`slack: ${message}`);
        return { channel: name, status: 'failed', error: message };
      }
    },
  };
}
