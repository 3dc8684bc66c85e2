/**
 * The report with every secret replaced by "***" in every string, before anything renders it:
 * renderers escape text (`-` → `\-`, `&` → `&amp;`), after which a secret no longer matches and
 * scrubbing the output alone would miss it. The CLI redacts the report before writing files; channels
 * redact again, as they may be handed a report by other callers.
 */
import { redact } from '../errors';
import type { Report } from './types';

function deep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => deep(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v, secrets)]));
  }
  return value;
}

export function redactReport(report: Report, secrets: readonly string[]): Report {
  return secrets.some((s) => s && s.length >= 4) ? (deep(report, secrets) as Report) : report;
}
