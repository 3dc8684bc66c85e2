/**
 * Outside text at the network edge. The order and the rules (scrub, flatten, scrub, then cut) live
 * once, in src/report/redact.ts; the edge adds the forms a credential takes on the wire.
 */
import { safeText as safeReportText } from '../report/redact';

export { cutText as cut, flattenText as flatten } from '../report/redact';

/**
 * The forms a secret may be echoed in by a server: as is, URL-encoded (redact adds that), JSON-escaped,
 * base64 (a basic-auth header echoed back).
 */
export function secretForms(secrets: readonly (string | undefined)[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    if (secret.length >= 8) forms.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
  }
  return [...forms];
}

/** A server's text made safe to show: every form of every secret scrubbed, flattened, then cut. */
export function safeText(text: string, secrets: readonly (string | undefined)[], max = 300): string {
  return safeReportText(text, secretForms(secrets), max);
}
