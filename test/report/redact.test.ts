import {
  cutText,
  flattenText,
  printableLines,
  redact,
  safeLabel,
  safeText,
  stripUrlCredentials,
} from '../../src/report/redact';

const secret = 'sk-live-0123456789abcdef';

describe('safeText: scrub, flatten, scrub, then cut', () => {
  it('scrubs a secret that sits across the cut, so no piece of it survives', () => {
    const body = `${'x'.repeat(290)} key=${secret} trailing`;

    const out = safeText(body, [secret], 300);

    expect(out).not.toContain(secret.slice(0, 8));
    expect(out).toContain('***');
    expect(Array.from(out).length).toBeLessThanOrEqual(300);
  });

  it('flattens newlines so server text cannot start a workflow command', () => {
    expect(safeText('oops\n::error title=x::boom\x1b[31m', [])).toBe('oops ::error title=x::boom [31m');
  });

  it('scrubs the URL-encoded form of a secret too', () => {
    expect(redact(`p=${encodeURIComponent('a/b+c=d!')}`, ['a/b+c=d!'])).toBe('p=***');
  });

  it('scrubs a secret that a control character had split', () => {
    expect(safeText('tok=abcd\u200eefgh', ['abcdefgh'])).toBe('tok=***');
  });
});

describe('labels and links', () => {
  it.each([
    ['a newline', 'Checkout\n::error::pwned', 'Checkout ::error::pwned'],
    ['a leading workflow command', '::error::pwned', ': :error::pwned'],
    ['a bidi override', 'pay\u202eliamg', 'payliamg'],
    ['an escape code', 'red\x1b[31m', 'red [31m'],
  ])('a label with %s is one plain line', (_case, input, expected) => {
    expect(safeLabel(input)).toBe(expected);
  });

  it.each([
    ['https://user:pw@grafana.example.com/d/abc?x=1', 'https://grafana.example.com/d/abc?x=1'],
    ['https://grafana.example.com/d/abc', 'https://grafana.example.com/d/abc'],
    ['smtp://u:p@host:25', 'smtp://host:25'],
  ])('strips credentials from %s', (input, expected) => {
    expect(stripUrlCredentials(input)).toBe(expected);
  });

  it('keeps indentation in multi-line messages but no line can start a workflow command', () => {
    expect(printableLines('2 problems\n  a: b\n::error::x')).toBe('2 problems\n  a: b\n: :error::x');
  });

  it('cuts by code points, never inside a surrogate pair', () => {
    expect(cutText('😀😀😀', 2)).toBe('😀…');
    expect(flattenText('  a\t\tb  ')).toBe('a b');
  });
});
