/**
 * Everything that reaches the HTML from the report goes through here. Report strings come from
 * config files and from providers (stack names, event titles, error texts), so they are text,
 * never markup, and only http(s) URLs ever become links.
 */

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  // Control characters other than tab/newline have no business in a report and confuse parsers.
  return String(text)
    .replace(/[&<>"']/g, (c) => entities[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

/** The URL normalised for an href when it is an absolute http(s) URL; null for anything else. */
export function safeHref(url: string | undefined | null): string | null {
  if (typeof url !== 'string') return null;
  const trimmed = url.trim();
  // Browsers strip tabs/newlines inside URLs ("java\tscript:"), so refuse them rather than guess.
  if (!/^https?:\/\//i.test(trimmed) || /[\u0000-\u0020\u007f]/.test(trimmed)) return null;
  try {
    const parsed = new URL(trimmed);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** `<a href>` around the escaped text when the URL is safe; the escaped text alone otherwise. */
export function linkOrText(text: string, url: string | undefined | null, style?: string): string {
  const href = safeHref(url);
  if (!href) return escapeHtml(text);
  const styleAttr = style ? ` style="${style}"` : '';
  return `<a href="${escapeHtml(href)}"${styleAttr}>${escapeHtml(text)}</a>`;
}
