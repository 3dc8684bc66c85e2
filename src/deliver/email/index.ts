/**
 * Email delivery over SMTP with nodemailer: the whole report to `to`, each team its own stacks.
 * Every message is multipart/alternative (plain text and HTML) with the charts as inline PNG parts
 * referenced by `cid:`.
 *
 * Failures are retried with the shared policy when they may pass (4xx replies, timeouts, refused or
 * reset connections); a permanent 5xx rejection is reported at once. Recipients a server accepted are
 * never sent the same message twice: a retry goes only to the ones still pending. The SMTP URL holds a
 * password, so nothing this channel returns or logs contains it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SendMailOptions, SMTPSentMessageInfo, Transporter } from 'nodemailer';
import { writeFileAtomically } from '../../atomic-write';
import type { EmailDeliveryConfig } from '../../config/schema';
import { redact } from '../../errors';
import {
  defaultRetryPolicy,
  retriesOf,
  withRetry,
  type RetryDecision,
  type RetryPolicy,
} from '../../net/retry';
import type { DeliveryChannel, DeliveryContext, DeliveryResult } from '../types';
import { composeMessage, planMessages, type ComposedMessage, type PlannedMessage } from './messages';
import { asSmtpError, describeSmtpError, isTransientSmtpError } from './smtp-errors';

export { emailSubject, filterReport, planMessages, composeMessage } from './messages';
export type { PlannedMessage, MessagePlan, ComposedMessage } from './messages';
export { isTransientSmtpError, describeSmtpError } from './smtp-errors';

export interface EmailChannelOptions {
  /** Retry policy per message; default the shared one (4 attempts, at most 60 s). */
  retry?: RetryPolicy;
  /** SMTP timeouts in ms: TCP connect, server greeting, socket inactivity. */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
}

/** Some recipients got a 4xx at RCPT TO while others were accepted: retry for those only. */
class PendingRecipients extends Error {
  constructor(readonly reasons: string[]) {
    super(`deferred: ${reasons.join('; ')}`);
    this.name = 'PendingRecipients';
  }
}

/**
 * The connection dropped after the message had been handed over (DATA): the server may have accepted
 * it. Sending it again could deliver it twice, so it is never retried; the result says so.
 */
class MaybeDelivered extends Error {
  constructor(cause: unknown) {
    super(
      `the connection dropped after the message was sent (${describeSmtpError(cause)}): it may have been delivered, so it was not sent again`,
    );
    this.name = 'MaybeDelivered';
  }
}

/** The password would cross the network in clear text; nothing was sent. */
const insecureAuthRefused =
  'refused to send the SMTP password over an unencrypted connection (the server offers no working STARTTLS): use smtps://, enable STARTTLS on the server, or set delivery.email.allowInsecureAuth: true';

/** True for smtp:// with a user name: the password is only safe once STARTTLS has encrypted the line. */
function needsStartTls(url: string, allowInsecureAuth: boolean): boolean {
  if (allowInsecureAuth) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'smtp:' && (u.username !== '' || u.password !== '');
  } catch {
    return false;
  }
}

interface Outcome {
  message: PlannedMessage;
  subject: string;
  delivered: string[];
  failed: { address: string; reason: string }[];
  retries: number;
  /** Set when the server could not be reached or refused the login: later messages would fail alike. */
  unreachable?: string;
}

/** Errors that say the server, not this message, is the problem. */
const serverLevelCodes = new Set([
  'ECONNREFUSED',
  'ECONNECTION',
  'ETIMEDOUT',
  'EDNS',
  'ENOTFOUND',
  'EAUTH',
  'ESOCKET',
]);

/** The password of the SMTP URL, encoded and decoded, for redaction. */
function smtpSecrets(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (!password) return [];
    let decoded = password;
    try {
      decoded = decodeURIComponent(password);
    } catch {
      // Malformed escapes: the raw form is still scrubbed.
    }
    return [password, decoded];
  } catch {
    return [];
  }
}

/** host:port for messages (never the credentials). */
function serverName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return 'the SMTP server';
  }
}

function mailOptions(
  from: string,
  message: PlannedMessage,
  composed: ComposedMessage,
  now: number,
): SendMailOptions {
  return {
    from,
    to: message.to,
    subject: composed.subject,
    text: composed.text,
    html: composed.html,
    date: new Date(now),
    // Tells mail systems this is automated, so out-of-office replies don't answer it (RFC 3834).
    headers: { 'Auto-Submitted': 'auto-generated' },
    attachments: [
      ...composed.images.map((image) => ({
        filename: image.filename,
        content: image.content,
        cid: image.cid,
        contentType: 'image/png',
        contentDisposition: 'inline' as const,
      })),
      ...composed.files.map((file) => ({
        filename: file.filename,
        content: file.content,
        contentType: file.contentType,
        contentDisposition: 'attachment' as const,
      })),
    ],
  };
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

const retriesText = (n: number) => plural(n, 'retry', 'retries');

export function createEmailChannel(
  config: EmailDeliveryConfig,
  options: EmailChannelOptions = {},
): DeliveryChannel {
  const name = 'email';
  const policy = options.retry ?? defaultRetryPolicy;
  const requireTls = needsStartTls(config.smtp, config.allowInsecureAuth ?? false);
  /** Set once the client has sent DATA in the current attempt. */
  const transportState = { dataSent: false };
  const quiet = () => undefined;
  const conversationLogger = {
    level: quiet,
    trace: quiet,
    info: quiet,
    warn: quiet,
    error: quiet,
    fatal: quiet,
    debug: (entry: { tnx?: string }, message: string) => {
      if (entry?.tnx === 'client' && /^DATA$/i.test(String(message).trim())) transportState.dataSent = true;
    },
  };
  const timeouts = options.timeouts ?? {};

  async function dryRun(
    ctx: DeliveryContext,
    plan: ReturnType<typeof planMessages>,
    scrub: (s: string) => string,
  ) {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    await mkdir(ctx.outDir, { recursive: true });
    const lines: string[] = [];
    for (const message of plan.messages) {
      const composed = await composeMessage(message);
      const info = await transport.sendMail(mailOptions(config.from, message, composed, ctx.now()));
      const file = path.join(ctx.outDir, `email-${message.slug}.eml`);
      // Whole or not at all, like the report files: a reader never opens half a message.
      await writeFileAtomically(file, info.message as Buffer);
      lines.push(
        `${message.label} (${plural(message.report.stacks.length, 'stack')}) to ${message.to.join(', ')}: "${composed.subject}" → ${file}`,
      );
    }
    transport.close();
    const detail = `dry run, nothing sent; would send ${plural(plan.messages.length, 'message')}: ${lines.join('; ')}${emptyNote(plan.emptyTeams)}`;
    ctx.logger.info(scrub(`email: ${detail}`));
    return { channel: name, status: 'dry-run' as const, detail: scrub(detail) };
  }

  function emptyNote(teams: string[]): string {
    return teams.length
      ? `; nothing for ${teams.map((t) => `team ${t}`).join(', ')} (no stacks in this report)`
      : '';
  }

  async function send(
    transport: Transporter<SMTPSentMessageInfo>,
    message: PlannedMessage,
    ctx: DeliveryContext,
    scrub: (s: string) => string,
  ): Promise<Outcome> {
    const composed = await composeMessage(message);
    const mail = mailOptions(config.from, message, composed, ctx.now());
    const outcome: Outcome = { message, subject: composed.subject, delivered: [], failed: [], retries: 0 };
    let pending = [...message.to];

    const settle = (rejected: ReturnType<typeof asSmtpError>[]) => {
      const deferred: string[] = [];
      const reasons: string[] = [];
      for (const r of rejected) {
        const address = r.recipient ?? '';
        if (isTransientSmtpError(r)) {
          deferred.push(address);
          reasons.push(`${address}: ${describeSmtpError(r)}`);
        } else outcome.failed.push({ address, reason: describeSmtpError(r) });
      }
      pending = deferred;
      if (deferred.length) throw new PendingRecipients(reasons);
    };

    const attempt = async (attemptNo: number): Promise<void> => {
      if (attemptNo > 1)
        ctx.logger.debug(`email: ${message.label}, attempt ${attemptNo}/${policy.maxAttempts}`);
      let info: SMTPSentMessageInfo;
      transportState.dataSent = false;
      try {
        info = await transport.sendMail({ ...mail, envelope: { from: config.from, to: pending } });
      } catch (error) {
        const rejected = asSmtpError(error).rejectedErrors;
        // Every recipient refused at RCPT TO: sort them into permanent and deferred ones.
        if (rejected?.length) return settle(rejected);
        // A reply after DATA (e.g. 451) says the message was refused: a retry is safe. Silence after
        // DATA says nothing: the server may have taken it.
        if (transportState.dataSent && asSmtpError(error).responseCode === undefined)
          throw new MaybeDelivered(error);
        if (asSmtpError(error).code === 'ETLS' && requireTls) throw new Error(insecureAuthRefused);
        throw error;
      }
      outcome.delivered.push(...info.accepted.map(String));
      const rejected = asSmtpError(info).rejectedErrors ?? [];
      pending = [];
      if (rejected.length) settle(rejected);
    };

    const decide = (error: unknown): RetryDecision => {
      const retry =
        error instanceof PendingRecipients ||
        (!(error instanceof MaybeDelivered) &&
          (error as Error).message !== insecureAuthRefused &&
          isTransientSmtpError(error));
      const text = error instanceof PendingRecipients ? error.message : describeSmtpError(error);
      ctx.logger.warn(
        scrub(`email: ${message.label}: ${text}${retry ? '; will retry if the budget allows' : ''}`),
      );
      return { retry };
    };

    try {
      outcome.retries = (await withRetry(attempt, decide, policy, ctx)).retries;
    } catch (error) {
      outcome.retries = retriesOf(error);
      const reason =
        error instanceof PendingRecipients
          ? 'still deferred'
          : describeSmtpError(error) + (outcome.retries ? ` (after ${retriesText(outcome.retries)})` : '');
      for (const address of pending) outcome.failed.push({ address, reason });
      const code = (error as { code?: unknown } | null)?.code;
      if (!outcome.delivered.length && typeof code === 'string' && serverLevelCodes.has(code))
        outcome.unreachable = reason;
    }
    return outcome;
  }

  return {
    name,
    async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      const secrets = [...ctx.secrets, ...smtpSecrets(config.smtp)];
      const scrub = (text: string) => redact(text, secrets);
      try {
        const plan = planMessages(ctx.report, config);
        if (!plan.messages.length) {
          const detail = `no recipients for this report${emptyNote(plan.emptyTeams)}`;
          return { channel: name, status: 'skipped', detail: scrub(detail) };
        }
        if (ctx.dryRun) return await dryRun(ctx, plan, scrub);

        const transport = nodemailer.createTransport({
          url: config.smtp,
          // With a password on smtp://, STARTTLS is required: no encryption, no AUTH.
          ...(requireTls ? { requireTLS: true } : {}),
          // The client's side of the conversation tells whether DATA was sent (see MaybeDelivered).
          debug: true,
          logger: conversationLogger,
          connectionTimeout: timeouts.connectionMs ?? 15_000,
          greetingTimeout: timeouts.greetingMs ?? 15_000,
          socketTimeout: timeouts.socketMs ?? 60_000,
          // The message holds only what we built; never let nodemailer read files or fetch URLs.
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        const outcomes: Outcome[] = [];
        try {
          for (const message of plan.messages) {
            const unreachable = outcomes.find((o) => o.unreachable)?.unreachable;
            // Once the server is unreachable, do not wait through every message's retries again.
            outcomes.push(
              unreachable
                ? {
                    message,
                    subject: '',
                    delivered: [],
                    retries: 0,
                    failed: message.to.map((address) => ({ address, reason: `not tried: ${unreachable}` })),
                  }
                : await send(transport, message, ctx, scrub),
            );
          }
        } finally {
          transport.close();
        }

        const via = serverName(config.smtp);
        const sentLines = outcomes
          .filter((o) => o.delivered.length)
          .map(
            (o) =>
              `${o.message.label} (${plural(o.message.report.stacks.length, 'stack')}) to ${o.delivered.join(', ')}${o.retries ? ` after ${retriesText(o.retries)}` : ''}`,
          );
        // One entry per message and reason: "cto@x, leads@x (whole report: 554 …)".
        const groups = new Map<string, string[]>();
        for (const o of outcomes) {
          for (const f of o.failed) {
            const key = `${o.message.label}: ${f.reason}`;
            groups.set(key, [...(groups.get(key) ?? []), f.address]);
          }
        }
        if (groups.size) {
          const error =
            `failed for ${[...groups].map(([why, addresses]) => `${addresses.join(', ')} (${why})`).join('; ')}` +
            (sentLines.length ? `; sent ${sentLines.join('; ')}` : '') +
            ` via ${via}`;
          ctx.logger.warn(scrub(`email: ${error}`));
          return { channel: name, status: 'failed', error: scrub(error) };
        }
        const detail = `sent ${plural(outcomes.length, 'message')} via ${via}: ${sentLines.join('; ')}${emptyNote(plan.emptyTeams)}`;
        ctx.logger.info(scrub(`email: ${detail}`));
        return { channel: name, status: 'sent', detail: scrub(detail) };
      } catch (error) {
        // Rendering or the file system failed: still a result, never a throw.
        const text = error instanceof Error ? error.message : String(error);
        return { channel: name, status: 'failed', error: scrub(`could not prepare the email: ${text}`) };
      }
    },
  };
}
