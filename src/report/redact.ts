/**
 * Text from outside (a server's answer, a data file, the config) on its way to any output: a terminal,
 * a workflow log, a report file, a mail or a chat message. One place, used by every source, channel
 * and the CLI, so that the order is always the same (house style 19):
 *
 *   1. scrub every secret (and its URL-encoded form),
 *   2. flatten: no newline, no control character, no bidi override (a newline would let a server or a
 *      label start a GitHub `::error` workflow command; escape codes would reach the terminal;
 *      bidi overrides make a name read differently from what it is),
 *   3. scrub again (flattening may join a secret a control character had split),
 *   4. then cut — after scrubbing, so no piece of a secret survives at the cut.
 *
 * `safeText` does all four. `redactReport` scrubs a whole report before anything renders it:
 * renderers escape text (`-` → `\-`, `&` → `&amp;`), after which a secret no longer matches and
 * scrubbing the output alone would miss it.
 */
import type { Report } from './types';

/** Shortest value treated as a secret: shorter ones would scrub ordinary words and numbers. */
export const minSecretLength = 4;

/** Replace every occurrence of each secret (and its URL-encoded form) with "***". */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  return replaceForms(text, formsOf(secrets));
}

/** Each secret and its URL-encoded form, longest first: a secret that contains another is replaced whole. */
function formsOf(secrets: readonly (string | undefined)[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < minSecretLength) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

function replaceForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join('***');
  return out;
}

// C0 controls (tab and newlines included), DEL, C1 controls, line/paragraph separators.
const controlChars = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// Bidi embeddings, overrides and isolates, and the marks: they reorder what a reader sees.
const bidiChars = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of plain text: controls become a space, bidi controls are dropped, runs of spaces shrink. */
export function flattenText(text: string): string {
  return text.replace(bidiChars, '').replace(controlChars, ' ').replace(/ {2,}/g, ' ').trim();
}

/**
 * Multi-line text for a terminal or a workflow log: every line keeps its indentation, but control
 * characters (escape codes, CR) become spaces, bidi controls go, and no line starts with `::` even after spaces (a GitHub
 * workflow command). For messages scrumops writes itself around outside text.
 */
export function printableLines(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(bidiChars, '')
        .replace(controlChars, ' ')
        .replace(/^(\s*)::/, '$1: :'),
    )
    .join('\n');
}

/** At most `max` characters (code points), with "…" when cut. Never splits a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Outside text made safe to print: scrubbed, flattened, scrubbed again, then cut. */
export function safeText(text: string, secrets: readonly (string | undefined)[], max = 300): string {
  return cutText(redact(flattenText(redact(text, secrets)), secrets), max);
}

/**
 * A name or label from the config for every output: flattened, and never starting with `::` (a
 * GitHub workflow command when it lands at the start of a log line).
 */
export function safeLabel(text: string): string {
  return flattenText(text).replace(/^:+/, (colons) => colons.split('').join(' '));
}

/** A link without `user:password@`: credentials in a URL never reach a report or a message. */
export function stripUrlCredentials(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) return url;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not a URL the WHATWG parser accepts: drop everything up to the last "@" of the authority.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  }
}

/**
 * The value with every string redacted, copied only where something changed: a report without secrets
 * in it comes back as the same object, so its chart data is not copied and what renderers cache by
 * object (the charts' pictures) still applies.
 */
function deep(value: unknown, forms: readonly string[]): unknown {
  if (typeof value === 'string') return replaceForms(value, forms);
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let copy: unknown[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const clean = deep(item, forms);
      if (clean !== item) (copy ??= [...items])[i] = clean;
    }
    return copy ?? items;
  }
  if (value && typeof value === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const [k, item] of Object.entries(value)) {
      const clean = deep(item, forms);
      if (clean !== item) (copy ??= { ...(value as Record<string, unknown>) })[k] = clean;
    }
    return copy ?? value;
  }
  return value;
}

export function redactReport(report: Report, secrets: readonly string[]): Report {
  const forms = formsOf(secrets);
  return forms.length > 0 ? (deep(report, forms) as Report) : report;
}
