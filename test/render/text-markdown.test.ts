import { join } from 'node:path';

import { loadConfig } from '../../src/config/load';
import { silentLogger } from '../../src/logger';
import { generateReports } from '../../src/pipeline';
import { countsLine, isSafeUrl, orderedStacks } from '../../src/render/common';
import { escapeMarkdown, renderMarkdown } from '../../src/render/markdown';
import { renderText } from '../../src/render/text';
import type { Report, StackReport } from '../../src/report/types';

const reportTime = Date.parse('2026-11-26T08:00:00Z');
const generatedAt = Date.parse('2026-11-26T08:00:03.120Z');

let demo: Report;
beforeAll(async () => {
  const config = loadConfig(join(__dirname, '../../config/demo.yaml'), {});
  const { reports } = await generateReports(
    config,
    { times: [reportTime], generatedAt },
    { logger: silentLogger, now: () => generatedAt, sleep: () => Promise.resolve(), random: () => 0.5 },
  );
  demo = reports[0]!;
});

/** A copy of the demo report with some stacks changed. */
function withStacks(change: (stacks: StackReport[]) => void): Report {
  const copy = structuredClone(demo);
  change(copy.stacks);
  return copy;
}

const stack = (report: Report, id: string) => report.stacks.find((s) => s.id === id)!;

describe('the demo report', () => {
  it('has the verdicts the demo data was made for', () => {
    expect(Object.fromEntries(demo.stacks.map((s) => [s.id, s.verdict]))).toEqual({
      checkout: 'bad',
      payments: 'bad',
      search: 'good',
      notifications: 'unknown',
      catalog: 'normal',
      auth: 'normal',
      inventory: 'normal',
    });
    expect(demo.summary).toEqual({ bad: 2, good: 1, normal: 3, unknown: 1 });
  });

  it('orders stacks bad, unknown, good, normal, by name within a state', () => {
    expect(orderedStacks(demo).map((s) => s.name)).toEqual([
      'Checkout',
      'Payments',
      'Notifications',
      'Search',
      'Auth',
      'Catalog',
      'Inventory',
    ]);
  });
});

describe('countsLine', () => {
  it.each([
    [{ bad: 2, good: 1, normal: 3, unknown: 1 }, '2 bad · 1 good · 3 normal · 1 unknown'],
    [{ bad: 1, good: 1, normal: 5, unknown: 0 }, '1 bad · 1 good · 5 normal'],
    [{ bad: 0, good: 0, normal: 0, unknown: 4 }, '0 bad · 0 good · 0 normal · 4 unknown'],
  ])('%j → %s', (summary, expected) => {
    expect(countsLine(summary)).toBe(expected);
  });
});

describe('renderText', () => {
  let text: string;
  beforeAll(() => {
    text = renderText(demo);
  });

  it('starts with the title, the day, the counts and the window', () => {
    expect(text.split('\n').slice(0, 3)).toEqual([
      'Web shop — daily health — 2026-11-26',
      '2 bad · 1 good · 3 normal · 1 unknown',
      'Window Wed 25 Nov 09:00 – Thu 26 Nov 09:00 (Europe/Berlin), vs the same hours on 7 previous days',
    ]);
  });

  it('lists bad stacks first, then unknown, good, and the normal ones on one line', () => {
    const order = [
      'BAD  Checkout (payments)',
      'BAD  Payments (payments)',
      'UNKNOWN  Notifications (platform)',
      'GOOD  Search (discovery)',
      'NORMAL  Auth, Catalog, Inventory',
    ].map((line) => text.split('\n').indexOf(line));

    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives every stack that is not plainly normal its reasons', () => {
    for (const id of ['checkout', 'payments', 'notifications', 'search']) {
      for (const reason of stack(demo, id).reasons) expect(text).toContain(`  - ${reason}\n`);
    }
    expect(text).toContain('  - p95 latency: no data since 11:20');
  });

  it('shows events, links and the sources in detail, and leaves them out in the short form', () => {
    const short = renderText(demo, { detail: false });

    expect(text).toContain('  in the window: 2 deployments (14 d: 6)');
    expect(text).toContain('  dashboard: https://grafana.example.com/d/checkout');
    expect(text).toContain('Data: demo (file): ok, 28 requests');
    expect(short).not.toContain('dashboard:');
    expect(short).not.toContain('Data:');
    expect(short).toContain('NORMAL  Auth, Catalog, Inventory');
  });

  it('ends with a single newline and never leaves two blank lines', () => {
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
    expect(text).not.toMatch(/\n{3}/);
  });
});

describe('renderMarkdown', () => {
  let md: string;
  beforeAll(() => {
    md = renderMarkdown(demo);
  });

  it('has a heading with the day and a counts line', () => {
    expect(md.split('\n')[0]).toBe('## Web shop — daily health — 2026-11-26');
    expect(md).toContain(
      '**2 bad · 1 good · 3 normal · 1 unknown** · window Wed 25 Nov 09:00 – Thu 26 Nov 09:00 (Europe/Berlin)',
    );
  });

  it('details bad, unknown and good stacks in that order, then lists the normal ones', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('### '));

    expect(headings).toEqual([
      '### 🔴 Checkout · payments — bad',
      '### 🔴 Payments · payments — bad',
      '### 🟡 Notifications · platform — unknown',
      '### 🟢 Search · discovery — good',
      '### ⚪ Normal',
    ]);
    expect(md).toContain('### ⚪ Normal\n\n- Auth\n- Catalog\n- Inventory\n');
  });

  it('gives each detailed stack a metric table', () => {
    expect(md).toContain('| metric | now | usual | change | verdict |');
    expect(md).toMatch(/\n\| p95 latency \| 4\d\d ms \| 2\d\d ms \| \+\d+% \| bad \|\n/);
  });

  it('renders http(s) links as links', () => {
    expect(md).toContain('[dashboard](https://grafana.example.com/d/checkout)');
  });
});

describe('renderMarkdown: escaping', () => {
  const hostileNames = {
    checkout: '<img src=x onerror=alert(1)>',
    search: '[x](javascript:alert(1))',
    catalog: 'Cat | alog\n## injected heading',
  };
  let md: string;
  beforeAll(() => {
    md = renderMarkdown(
      withStacks((stacks) => {
        for (const s of stacks) s.name = hostileNames[s.id as keyof typeof hostileNames] ?? s.name;
        const search = stacks.find((s) => s.id === 'search')!;
        search.links = {
          evil: 'javascript:alert(1)',
          data: 'data:text/html,<script>alert(1)</script>',
          ok: 'https://example.com/ok',
        };
        search.events.deployments!.items = [
          { at: '2026-11-25T20:00:00.000Z', title: 'click me', url: 'javascript:alert(2)' },
        ];
        search.events.deployments!.window = 1;
        stacks.find((s) => s.id === 'checkout')!.metrics[0]!.label = 'p95 <b>latency</b> | p99';
      }),
    );
  });

  it('writes a stack name holding HTML as text', () => {
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x onerror=alert(1)\\>');
  });

  it('writes a stack name holding a Markdown link as text', () => {
    expect(md).toContain('\\[x\\](javascript:alert(1))');
    expect(md).not.toContain('[x](javascript:');
  });

  it('never renders a javascript: or data: URL as a link, whatever its source', () => {
    expect(md).not.toMatch(/(?<!\\)\]\(\s*javascript:/i);
    expect(md).not.toMatch(/\]\(\s*data:/i);
    expect(md).not.toContain('<script');
    expect(md).toContain('[ok](https://example.com/ok)');
    expect(md).toMatch(/(^|[^[])evil( ·|$)/m);
    expect(md).toContain('click me');
  });

  it('keeps a newline or a pipe in a name from breaking the page', () => {
    expect(md).not.toMatch(/^## injected heading/m);
    expect(md).toContain('- Cat \\| alog \\#\\# injected heading');
  });

  it('escapes a metric label inside the table, so the row keeps five cells', () => {
    const row = md.split('\n').find((l) => l.includes('latency&lt;') || l.includes('&lt;b\\>latency'))!;

    expect(row).toBeDefined();
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(5);
    expect(row).not.toContain('<b>');
  });

  it('escapes a metric unit in the table cells too', () => {
    // Regression guard, fixed in review (src/render/markdown.ts stackSection): the "now" and "usual" cells come from metricCells()
    // → formatValue(value, unit) unescaped, so a unit from the config is written raw into the table:
    // "<img …>" stays live HTML and "|" splits the row. Wrap c.current and c.usual in escapeMarkdown.
    const report = withStacks((stacks) => {
      stacks.find((s) => s.id === 'search')!.metrics[2]!.unit = 'req|s <img src=x onerror=alert(1)>';
    });

    const out = renderMarkdown(report);

    expect(out).not.toContain('<img');
  });
});

describe('escapeMarkdown and isSafeUrl', () => {
  it.each([
    ['*bold* _it_ `code`', '\\*bold\\* \\_it\\_ \\`code\\`'],
    ['# title', '\\# title'],
    ['a|b', 'a\\|b'],
    ['<script>', '&lt;script\\>'],
    ['line\nbreak', 'line break'],
    ['plain text 42', 'plain text 42'],
  ])('escapeMarkdown(%j) → %j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it.each([
    ['https://grafana.example.com/d/x?from=now-24h', true],
    ['http://localhost:3000', true],
    ['HTTPS://EXAMPLE.COM', true],
    ['javascript:alert(1)', false],
    ['JavaScript:alert(1)', false],
    [' https://example.com', false],
    ['https://example.com/"onmouseover="x', false],
    ['data:text/html,hi', false],
    ['//example.com', false],
  ])('isSafeUrl(%j) → %p', (url, safe) => {
    expect(isSafeUrl(url)).toBe(safe);
  });
});
