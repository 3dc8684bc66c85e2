/**
 * A normal stack with something to say (here: a non-critical metric that stopped reporting) says it in
 * every rendering, instead of disappearing into the compact list of normal names.
 */
import { join } from 'node:path';
import { stackReasons } from '../../src/report/wording';
import { loadConfig } from '../../src/config/load';
import { slackPayload } from '../../src/deliver/slack';
import { silentLogger } from '../../src/logger';
import { generateReports } from '../../src/pipeline';
import { hasNotes } from '../../src/render/common';
import { renderHtml } from '../../src/render/html';
import { renderMarkdown } from '../../src/render/markdown';
import { renderText } from '../../src/render/text';
import type { Report } from '../../src/report/types';

const note = 'CPU: no data since 03:10 (20% of expected points)';
let report: Report;

beforeAll(async () => {
  const at = Date.parse('2026-11-26T08:00:00Z');
  const config = loadConfig(join(__dirname, '../../config/demo.yaml'), {});
  const { reports } = await generateReports(
    config,
    { times: [at], generatedAt: at },
    { logger: silentLogger, now: () => at, sleep: () => Promise.resolve(), random: () => 0 },
  );
  report = reports[0]!;
  const auth = report.stacks.find((s) => s.id === 'auth')!;
  const cpu = auth.metrics.find((m) => m.id === 'cpu')!;
  Object.assign(cpu, { verdict: 'unknown', rule: 'coverage', reason: note });
  auth.reasons = stackReasons(auth.verdict, auth.metrics);
});

describe('a normal stack with a note', () => {
  it('is still normal, and has notes', () => {
    const auth = report.stacks.find((s) => s.id === 'auth')!;

    expect(auth.verdict).toBe('normal');
    expect(hasNotes(auth)).toBe(true);
    expect(hasNotes(report.stacks.find((s) => s.id === 'catalog')!)).toBe(false);
  });

  it.each([
    ['text', () => renderText(report)],
    ['markdown', () => renderMarkdown(report)],
    ['slack', () => JSON.stringify(slackPayload(report))],
  ])('says it in %s', (_name, render) => {
    expect(render()).toContain(note);
  });

  it('says it in the email HTML', async () => {
    const { html } = await renderHtml(report, { images: 'cid' });

    expect(html).toContain(note);
  });
});
