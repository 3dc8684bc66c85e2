/**
 * Can each configured channel deliver tomorrow? Checked without sending anything: SMTP by connecting,
 * upgrading to TLS and logging in (nodemailer's verify), Slack by the webhook URL's shape (posting is
 * the only other test, and it would post), the job summary and the files by being writable.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { ResolvedConfig } from '../config/types';
import { redact } from '../errors';
import { fail, ok, warn, type Check } from './types';

export interface ChannelCheckDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  /** SMTP timeouts (connect, greeting, socket), ms. */
  smtpTimeoutMs?: number;
}

/** Can a file be created or appended at `path`: the file itself if it exists, else its folder. */
async function writable(path: string): Promise<boolean> {
  for (let target = path; ; target = dirname(target)) {
    try {
      await stat(target);
    } catch {
      if (dirname(target) === target) return false;
      continue;
    }
    try {
      await access(target, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}

function smtpParts(url: string): { host: string; secure: boolean; user?: string; secrets: string[] } {
  const u = new URL(url);
  const secrets = u.password ? [u.password, decodeURIComponent(u.password)] : [];
  return {
    host: `${u.hostname}${u.port ? `:${u.port}` : ''}`,
    secure: u.protocol === 'smtps:',
    user: u.username ? decodeURIComponent(u.username) : undefined,
    secrets,
  };
}

async function checkSmtp(
  email: NonNullable<ResolvedConfig['delivery']['email']>,
  secrets: readonly string[],
  timeoutMs: number,
): Promise<Check> {
  const subject = 'email';
  let parts: ReturnType<typeof smtpParts>;
  try {
    parts = smtpParts(email.smtp);
  } catch {
    return fail(
      subject,
      'delivery.email.smtp is not a URL',
      'smtps://user:password@host:465 (URL-encode the password)',
    );
  }
  const scrub = (text: string) => redact(text, [...secrets, ...parts.secrets]);
  const recipients = email.to.length + Object.values(email.teams).reduce((n, list) => n + list.length, 0);
  if (recipients === 0) {
    return fail(subject, 'no recipients', 'add addresses under delivery.email.to or delivery.email.teams');
  }
  const transport = nodemailer.createTransport({
    url: email.smtp,
    // A password goes over the wire only encrypted: smtps://, or smtp:// upgraded with STARTTLS.
    requireTLS: !parts.secure && parts.user !== undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.verify();
    const how = parts.secure ? 'TLS' : parts.user ? 'STARTTLS' : 'no TLS';
    const login = parts.user ? ', login accepted' : ', no login';
    return ok(
      subject,
      `SMTP ${parts.host} reachable (${how}${login}); ${recipients} recipient${recipients === 1 ? '' : 's'}, nothing sent`,
    );
  } catch (error) {
    const e = error as { code?: string; responseCode?: number; message?: string };
    const said = scrub(
      `${e.code ?? ''}${e.responseCode ? ` ${e.responseCode}` : ''}: ${e.message ?? String(error)}`,
    )
      .replace(/\s+/g, ' ')
      .trim();
    if (e.code === 'ETLS' || /STARTTLS/i.test(e.message ?? '')) {
      return fail(
        subject,
        `SMTP ${parts.host} does not offer STARTTLS, so the password would be sent in clear text; nothing was sent (${said})`,
        'use smtps:// (port 465), or a server that offers STARTTLS on 587',
      );
    }
    if (e.code === 'EAUTH') {
      return fail(
        subject,
        `SMTP ${parts.host} refused the login of "${parts.user ?? ''}" (${said})`,
        'check the user and password in SMTP_URL',
      );
    }
    return fail(
      subject,
      `SMTP ${parts.host}: ${said}`,
      'check the host and port in SMTP_URL, and that this machine may reach it',
    );
  } finally {
    transport.close();
  }
}

/** Shape of an incoming webhook: https://hooks.slack.com/services/T…/B…/secret (or workflows/triggers). */
const slackWebhook =
  /^https:\/\/hooks\.slack(-gov)?\.com\/(services|workflows|triggers)\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+\/[A-Za-z0-9_/-]+$/;

function checkSlack(webhook: string): Check {
  const subject = 'slack';
  let url: URL | undefined;
  try {
    url = new URL(webhook);
  } catch {
    url = undefined;
  }
  // Never print the URL: its path is the credential.
  if (!url || url.protocol !== 'https:') {
    return fail(
      subject,
      'the webhook is not an https:// URL',
      'set SLACK_WEBHOOK_URL to the incoming webhook URL Slack gave you',
    );
  }
  if (slackWebhook.test(webhook))
    return ok(subject, 'webhook URL has the shape of a Slack incoming webhook (not posted to)');
  if (!/^hooks\.slack(-gov)?\.com$/.test(url.hostname)) {
    return warn(
      subject,
      `the webhook goes to ${url.hostname}, not hooks.slack.com (a proxy?); not posted to`,
      'fine for a proxy; otherwise use the incoming webhook URL Slack gave you',
    );
  }
  return fail(
    subject,
    'the webhook URL is cut short or altered (expected https://hooks.slack.com/services/T…/B…/…)',
    'copy the whole URL again from the Slack app\'s "Incoming Webhooks" page',
  );
}

async function checkGithubSummary(
  setting: 'auto' | boolean,
  env: ChannelCheckDeps['env'],
): Promise<Check | undefined> {
  const subject = 'github-summary';
  if (setting === false) return undefined;
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) {
    return setting === 'auto'
      ? ok(subject, 'not in GitHub Actions here: skipped (auto); in the workflow it writes the run page')
      : fail(
          subject,
          'githubSummary: true, but GITHUB_STEP_SUMMARY is not set',
          'use githubSummary: auto outside GitHub Actions',
        );
  }
  return (await writable(path))
    ? ok(subject, 'GITHUB_STEP_SUMMARY is writable')
    : fail(
        subject,
        'GITHUB_STEP_SUMMARY cannot be written',
        'run the report as a step of a GitHub Actions job',
      );
}

export async function checkChannels(config: ResolvedConfig, deps: ChannelCheckDeps): Promise<Check[]> {
  const { delivery } = config;
  const checks: Check[] = [];
  const outDir = resolve(deps.cwd, delivery.files?.dir ?? 'out');
  checks.push(
    (await writable(outDir))
      ? ok('files', `${delivery.files?.dir ?? 'out'} is writable`)
      : fail(
          'files',
          `${delivery.files?.dir ?? 'out'} cannot be created or written`,
          'set delivery.files.dir or --out to a writable folder',
        ),
  );
  if (delivery.email)
    checks.push(await checkSmtp(delivery.email, config.secrets, deps.smtpTimeoutMs ?? 15_000));
  if (delivery.slack) checks.push(checkSlack(delivery.slack.webhook));
  const summary = await checkGithubSummary(delivery.githubSummary, deps.env);
  if (summary) checks.push(summary);
  if (!delivery.email && !delivery.slack) {
    checks.push(
      warn(
        'delivery',
        'no email and no Slack: the report is only written to files (and the job summary)',
        'add delivery.email or delivery.slack',
      ),
    );
  }
  return checks;
}
