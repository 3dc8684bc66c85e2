/**
 * A failed events search is "unknown", never "0": every renderer says
 * "deployments: unknown (search failed)" for that stack (issue 10), and "incidents: unknown (search
 * failed)" when PagerDuty could not list them — on a normal stack too, which is shown in short form.
 */
import { fitSummary } from '../../src/deliver/github-summary/fit';
import { slackPayload } from '../../src/deliver/slack/payload';
import { renderHtml } from '../../src/render/html';
import { renderMarkdown } from '../../src/render/markdown';
import { renderText } from '../../src/render/text';
import type { Report } from '../../src/report/types';
import { sampleReport } from '../fixtures/sample-report';

/** The sample report with the first bad stack's deployment search failed. */
function withFailedSearch(): { report: Report; name: string } {
  const report = sampleReport();
  const stack = report.stacks.find((s) => s.verdict === 'bad' && s.events.deployments)!;
  stack.events.deployments = {
    status: 'failed',
    error: 'source "dd": deployments search failed: Datadog answered 500',
    window: 0,
    last14d: 0,
    items: [],
  };
  return { report, name: stack.name };
}

const unknown = 'deployments: unknown (search failed)';

describe('a failed events search in every renderer', () => {
  it.each([
    ['text', (r: Report) => Promise.resolve(renderText(r))],
    ['markdown', (r: Report) => Promise.resolve(renderMarkdown(r))],
    ['github summary', (r: Report) => Promise.resolve(fitSummary(r, 1024 * 1024).markdown)],
    ['slack', (r: Report) => Promise.resolve(JSON.stringify(slackPayload(r)))],
  ])('%s says the count is unknown, not 0', async (_name, render) => {
    const { report } = withFailedSearch();
    const zeros = (text: string) => text.match(/\b0 deployments\b/g)?.length ?? 0;

    const out = await render(report);
    const before = await render(sampleReport());

    expect(out).toContain(unknown);
    // Other stacks may truly have had none; the failed one adds no zero.
    expect(zeros(out)).toBe(zeros(before));
  });

  it('html (email) says the count is unknown, not "none in the window"', async () => {
    const { report } = withFailedSearch();

    const { html } = await renderHtml(report, { images: 'cid' });

    expect(html).toMatch(/Deployments<\/b>: unknown \(search failed\)/);
  });

  it.each([
    ['text', (r: Report) => Promise.resolve(renderText(r))],
    ['markdown', (r: Report) => Promise.resolve(renderMarkdown(r))],
    ['github summary', (r: Report) => Promise.resolve(fitSummary(r, 1024 * 1024).markdown)],
    ['slack', (r: Report) => Promise.resolve(JSON.stringify(slackPayload(r)))],
    ['html (email)', async (r: Report) => (await renderHtml(r, { images: 'cid' })).html],
  ])('%s: a normal stack whose incidents could not be listed says so beside its name', async (_n, render) => {
    const report = sampleReport();
    const stack = report.stacks.find((s) => s.verdict === 'normal')!;
    stack.events.incidents = {
      status: 'failed',
      error: 'source "pd": GET /incidents: HTTP 503: Service Unavailable',
      window: 0,
      last14d: 0,
      items: [],
    };

    const out = await render(report);

    expect(out).toContain('incidents: unknown (search failed)');
    expect(out).not.toMatch(/\b0 incidents\b/);
  });

  it('an ok search still shows its counts', () => {
    const report = sampleReport();

    expect(renderText(report)).toMatch(/3 deployments \(14 d: 21\)/);
    expect(renderText(report)).not.toContain(unknown);
  });
});
