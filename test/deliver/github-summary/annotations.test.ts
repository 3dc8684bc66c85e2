import { annotation, escapeData, escapeProperty } from '../../../src/deliver/github-summary';

describe('workflow command escaping (GitHub toolkit rules)', () => {
  it.each([
    ['100%', '100%25'],
    ['line 1\nline 2', 'line 1%0Aline 2'],
    ['crlf\r\n', 'crlf%0D%0A'],
    ['%0A stays literal', '%250A stays literal'],
    ['a: b, c', 'a: b, c'],
  ])('data %j → %j', (input, expected) => {
    expect(escapeData(input)).toBe(expected);
  });

  it.each([
    ['scrumops: a, b', 'scrumops%3A a%2C b'],
    ['50%\n', '50%25%0A'],
  ])('property %j → %j', (input, expected) => {
    expect(escapeProperty(input)).toBe(expected);
  });

  it('cannot be tricked into a second command by a newline in a value', () => {
    const line = annotation('warning', 'Checkout', 'fine\n::error::injected');

    expect(line).toBe('::warning title=Checkout::fine%0A::error::injected');
    expect(line.split('\n')).toHaveLength(1);
  });
});
