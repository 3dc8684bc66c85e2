/** What `scrumops doctor` finds: one check per line, each with what to do when it failed. */

/**
 * ok: fine. warn: the report will run, but something deserves a look (it does not fail doctor).
 * fail: tomorrow's report would be wrong or would not arrive; doctor exits 1.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  status: CheckStatus;
  /** What was checked, e.g. `source dd`, `checkout / latency_p95`, `email`. */
  subject: string;
  /** What was found, in words; never a secret. */
  detail: string;
  /** What to do about it (fail and warn only). */
  fix?: string;
}

export const ok = (subject: string, detail: string): Check => ({ status: 'ok', subject, detail });
export const warn = (subject: string, detail: string, fix?: string): Check => ({
  status: 'warn',
  subject,
  detail,
  fix,
});
export const fail = (subject: string, detail: string, fix?: string): Check => ({
  status: 'fail',
  subject,
  detail,
  fix,
});

const marks: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✘' };

/** One line: `✔ source dd: keys accepted` / `✘ email: … → fix: …`. */
export function formatCheck(check: Check): string {
  const line = `${marks[check.status]} ${check.subject}: ${check.detail}`;
  return check.fix ? `${line} → ${check.fix}` : line;
}
