/**
 * The blameless post-mortem starter: a golden file from the demo (Checkout's regression after its
 * 14:20 deploy), and the blanks and prompts every starter carries. UPDATE_FIXTURES=1 regenerates it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { silentLogger } from '../../src/logger';
import { generateReports } from '../../src/pipeline';
import { postmortemFiles } from '../../src/render/postmortem';
import type { Report } from '../../src/report/types';

const golden = path.resolve(__dirname, '../fixtures/postmortem.checkout.md');
let report: Report;

beforeAll(async () => {
  const at = Date.parse('2026-11-26T08:00:00Z');
  const config = loadConfig(path.resolve(__dirname, '../../config/demo.yaml'), {});
  const { reports } = await generateReports(
    config,
    { times: [at], historyDays: 14, generatedAt: at },
    { logger: silentLogger, now: () => at, sleep: () => Promise.resolve(), random: () => 0 },
  );
  report = reports[0]!;
});

describe('postmortemFiles', () => {
  it('writes one starter per bad stack, named by date and stack', () => {
    expect(postmortemFiles(report).map((f) => f.path)).toEqual([
      'postmortem/2026-11-26-checkout.md',
      'postmortem/2026-11-26-payments.md',
    ]);
  });

  it('matches the golden file for Checkout', () => {
    const checkout = postmortemFiles(report).find((f) => f.path.endsWith('checkout.md'))!;
    if (process.env.UPDATE_FIXTURES) writeFileSync(golden, checkout.text);

    expect(checkout.text).toBe(readFileSync(golden, 'utf8'));
  });

  it('orders the timeline: the deploy, then the regression, then the review', () => {
    const text = postmortemFiles(report)[0]!.text;
    const at = (s: string) => text.indexOf(s);

    expect(at('| Wed 14:20 | deploy checkout-api v2.41.0')).toBeGreaterThan(0);
    expect(at('| Wed 14:20 | deploy')).toBeLessThan(at('| Wed 14:30 | p95 latency leaves its usual band'));
    expect(at('p95 latency leaves')).toBeLessThan(at('| Thu 09:00 | detected in the scrum-ops review |'));
  });

  it('carries the blameless headings and an action table, and never names a person', () => {
    for (const { text } of postmortemFiles(report)) {
      expect(text).toContain('## What contributed');
      expect(text).toContain('## What could we have done better');
      expect(text).toContain('| action | owner | due |');
      expect(text).not.toMatch(/\b(who|fault|blame[ds]?|mistake)\b/i);
    }
  });
});
