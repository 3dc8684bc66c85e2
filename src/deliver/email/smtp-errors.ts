/**
 * What an SMTP failure means for the next try. RFC 5321: a 4yz reply is transient, a 5yz reply is
 * a permanent rejection (except 503, a bad command sequence, which a new connection clears).
 * Connection trouble — refused, reset, timed out, DNS — is worth another try; a failed login is not.
 */

/** The fields nodemailer puts on its errors (see nodemailer's NodemailerError). */
export interface SmtpErrorLike {
  message?: string;
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  recipient?: string;
  rejectedErrors?: SmtpErrorLike[];
}

const transientCodes = new Set([
  'ETIMEDOUT',
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
]);

export function asSmtpError(error: unknown): SmtpErrorLike {
  return error && typeof error === 'object' ? error : { message: String(error) };
}

/** True when retrying the same message later may succeed. */
export function isTransientSmtpError(error: unknown): boolean {
  const e = asSmtpError(error);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    return e.responseCode < 500 || e.responseCode === 503;
  }
  return transientCodes.has(e.code ?? '') || transientCodes.has(e.originalCode ?? '');
}

/** A short, human description: "550 5.1.1 mailbox unavailable", "connection refused (ECONNREFUSED)". */
export function describeSmtpError(error: unknown): string {
  const e = asSmtpError(error);
  if (typeof e.responseCode === 'number' && e.response) {
    return e.response.replace(/\s+/g, ' ').trim().slice(0, 200);
  }
  const code = e.originalCode ?? e.code;
  const message = (e.message ?? 'unknown error').replace(/\s+/g, ' ').trim().slice(0, 200);
  if (code === 'ECONNREFUSED') return `connection refused (${code})`;
  if (code === 'ECONNRESET') return `connection reset (${code})`;
  if (e.code === 'ETIMEDOUT') return `timed out: ${message}`;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
