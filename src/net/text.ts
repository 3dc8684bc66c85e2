/**
 * Text from outside (a server's error body, a warning, an event title) on its way to a terminal, a
 * workflow log or a report. Always in this order: flatten, scrub, then cut — cutting first could
 * leave a piece of a secret that no longer matches it whole.
 */
import { redact } from '../errors';

/**
 * ANSI/VT escape sequences (CSI, OSC, and two-byte escapes), C0/C1 control characters, DEL, and the
 * bidi overrides/isolates that can make a line read differently from what it holds.
 */

const escapeSequence =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?|\u009b[0-?]*[ -/]*[@-~]/g;

const controlOrBidi = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * One line with no escape codes, no control or bidi characters, runs of white space as one space.
 * A newline can no longer start a GitHub workflow command (`::error::`) nor forge a log line.
 */
export function flatten(text: string): string {
  return text.replace(escapeSequence, ' ').replace(controlOrBidi, ' ').replace(/\s+/g, ' ').trim();
}

/** Cut to at most `max` characters, an ellipsis marking the cut (never splitting a surrogate pair). */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The forms a secret may be echoed in: as is, URL-encoded, JSON-escaped, base64 (basic auth). */
export function secretForms(secrets: readonly (string | undefined)[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
    if (secret.length >= 8) forms.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Outside text made safe to show: flattened, scrubbed of every secret, then cut to `max` characters. */
export function safeText(text: string, secrets: readonly (string | undefined)[], max = 300): string {
  const forms = secretForms(secrets);
  // Scrubbed as sent, then as flattened: a secret with white space in it matches in one or the other.
  const scrubbed = redact(flatten(redact(text, forms)), [...forms, ...forms.map(flatten)]);
  return cut(scrubbed, max);
}
