/**
 * The MJML templates in templates/ and the one substitution they need: `{{name}}` takes escaped
 * text, `{{{name}}}` takes markup the renderer built (and escaped) itself. Substitution is a single
 * pass, so a value that happens to contain `{{…}}` is never expanded again.
 *
 * The templates are read once from disk and cached: they are part of the program, like the bundled
 * font, not input.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml } from './escape';

/** templates/, found from src/render/html and dist/render/html alike. */
export const templatesDir = path.resolve(__dirname, '../../../templates');

export type TemplateName = 'email' | 'heading' | 'stack' | 'list';

const cache = new Map<TemplateName, string>();

export function loadTemplate(name: TemplateName): string {
  let text = cache.get(name);
  if (text === undefined) {
    // Comments document the templates; they are not sent (and may mention placeholders).
    text = readFileSync(path.join(templatesDir, `${name}.mjml`), 'utf8').replace(/<!--[\s\S]*?-->\s*/g, '');
    cache.set(name, text);
  }
  return text;
}

export type TemplateValues = Record<string, string | number>;

/** Fill a template; a placeholder without a value is a programming error and throws. */
export function fill(template: string, values: TemplateValues, name = 'template'): string {
  return template.replace(
    /\{\{(\{)?\s*([a-zA-Z][\w]*)\s*\}\}(\})?/g,
    (_match, open: string, key: string, close: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`${name}: no value for {{${key}}}`);
      const raw = Boolean(open && close);
      return raw ? String(value) : escapeHtml(String(value));
    },
  );
}

/** Load and fill a template in one step. */
export function renderTemplate(name: TemplateName, values: TemplateValues): string {
  return fill(loadTemplate(name), values, `templates/${name}.mjml`);
}
