import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createGithubSummaryChannel,
  fitSummary,
  summaryLimitBytes,
} from '../../../src/deliver/github-summary';
import type { DeliveryContext, DeliveryResult } from '../../../src/deliver/types';
import { renderMarkdown } from '../../../src/render/markdown';
import { postmortemFile } from '../../../src/render/postmortem';
import type { Report, StackReport, Verdict } from '../../../src/report/types';
import { sampleReport, summarize } from '../../fixtures/sample-report';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-summary-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function context(over: Partial<DeliveryContext> = {}): { ctx: DeliveryContext; logs: string[] } {
  const logs: string[] = [];
  const ctx: DeliveryContext = {
    report: sampleReport(),
    outDir: dir,
    dryRun: false,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), debug: (m) => logs.push(m) },
    env: { GITHUB_STEP_SUMMARY: join(dir, 'step_summary') },
    now: () => Date.parse('2026-11-26T08:00:05.000Z'),
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    secrets: [],
    ...over,
  };
  return { ctx, logs };
}

function summaryOf(ctx: DeliveryContext): string {
  return readFileSync(ctx.env.GITHUB_STEP_SUMMARY!, 'utf8');
}

function outcome(result: DeliveryResult): string {
  return result.status === 'failed' ? result.error : result.detail;
}

/** Reasons long enough that a few hundred stacks make megabytes (the renderer costs per stack). */
const longReasons = Array.from(
  { length: 12 },
  (_, i) => `reason ${i}: ${'p95 latency well above its usual band; '.repeat(36)}`,
);

/** `copies` of each given stack (fresh ids and names; the objects are shared, so this is cheap). */
function fleet(
  base: Report,
  pick: (s: StackReport) => boolean,
  copies: number,
  extra: Partial<StackReport> = {},
): Report {
  const chosen = base.stacks.filter(pick);
  const clones = Array.from({ length: copies }, (_, i) =>
    chosen.map((s) => ({ ...s, ...extra, id: `${s.id}-${i}`, name: `${extra.name ?? s.name} copy ${i}` })),
  ).flat();
  const stacks = [...base.stacks, ...clones];
  return { ...base, stacks, summary: summarize(stacks) };
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const verdict = (v: Verdict) => (s: StackReport) => s.verdict === v;

describe('createGithubSummaryChannel', () => {
  it('appends the Markdown report: counts, bad stacks first', async () => {
    const { ctx } = context();

    const result = await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

    expect(result).toMatchObject({ channel: 'github-summary', status: 'sent' });
    const summary = summaryOf(ctx);
    expect(summary.startsWith(renderMarkdown(ctx.report))).toBe(true);
    expect(summary).toContain('**2 bad · 1 good · 4 normal · 1 unknown**');
    const checkout = summary.indexOf('### 🔴 Checkout');
    const search = summary.indexOf('### 🟢 Search');
    expect(checkout).toBeGreaterThan(0);
    expect(search).toBeGreaterThan(checkout);
  });

  it('appends after what earlier steps wrote, and never overwrites', async () => {
    const { ctx } = context();
    writeFileSync(ctx.env.GITHUB_STEP_SUMMARY!, '# Earlier step\n\nkept as it was\n');
    const channel = createGithubSummaryChannel(true, { write: () => {} });

    await channel.deliver(ctx);
    await channel.deliver(ctx);

    const summary = summaryOf(ctx);
    expect(summary.startsWith('# Earlier step\n\nkept as it was\n\n## Payments & friends')).toBe(true);
    expect(summary.split('### 🔴 Checkout')).toHaveLength(3);
  });

  it('writes annotations: a warning per bad stack, an error per failed source, a notice per partial one', async () => {
    const report = sampleReport();
    report.sources.push({
      id: 'prom',
      type: 'prometheus',
      status: 'failed',
      requests: 3,
      retries: 2,
      errors: ['HTTP 503, 100% of requests\nfailed'],
    });
    const { ctx } = context({ report });
    const lines: string[] = [];

    await createGithubSummaryChannel('auto', { write: (line) => lines.push(line) }).deliver(ctx);

    expect(lines).toEqual([
      '::error title=scrumops%3A source prom failed::HTTP 503%2C 100%25 of requests%0Afailed'.replace(
        '%2C',
        ',',
      ),
      '::warning title=scrumops%3A Checkout is bad::p95 latency 412 ms vs usual 280 ms (+47%25, 5.2× the usual spread), objective ≤ 500 ms%0Ap95 latency 14:05–14:50 peaked at 930 ms, 3.1× usual (episode)',
      '::warning title=scrumops%3A Ledger <script>window.__pwned = "name"</script> is bad::queue depth <b>bold</b> & "quoted" 1.2k vs usual 300%0Aerror rate 2.1%25 vs usual 0.5%25 (+320%25, 9.8× the usual spread), objective ≤ 1%25',
      '::notice title=scrumops%3A source grafana partly failed::query C (ledger queue depth): 400 parse error at <char 12>',
    ]);
  });

  it('writes at most 10 warnings a step, the last one counting the rest', async () => {
    const { ctx } = context({ report: fleet(sampleReport(), verdict('bad'), 12) });
    const lines: string[] = [];

    await createGithubSummaryChannel('auto', { write: (line) => lines.push(line) }).deliver(ctx);

    const warnings = lines.filter((l) => l.startsWith('::warning'));
    expect(warnings).toHaveLength(10);
    expect(warnings[9]).toMatch(
      /^::warning title=scrumops%3A 17 more bad stacks::Ledger .* copy 3 is bad%0ACheckout copy 4 is bad%0A/,
    );
  });

  it.each<[string, 'auto' | boolean, Record<string, string>, DeliveryResult['status']]>([
    ['auto outside GitHub Actions', 'auto', {}, 'skipped'],
    ['false inside GitHub Actions', false, { GITHUB_STEP_SUMMARY: 'x' }, 'skipped'],
    ['true outside GitHub Actions', true, {}, 'failed'],
  ])('%s: %s, writes nothing', async (_, setting, env, status) => {
    const { ctx } = context({ env });
    const lines: string[] = [];

    const result = await createGithubSummaryChannel(setting, { write: (l) => lines.push(l) }).deliver(ctx);

    expect(result.status).toBe(status);
    expect(lines).toEqual([]);
  });

  it('in a dry run says what it would write and writes nothing', async () => {
    const { ctx, logs } = context({ dryRun: true });
    const lines: string[] = [];

    const result = await createGithubSummaryChannel('auto', { write: (l) => lines.push(l) }).deliver(ctx);

    expect(result.status).toBe('dry-run');
    expect(outcome(result)).toMatch(/^would append \d+ bytes of Markdown and 3 annotations/);
    expect(logs.join('\n')).toContain('would append');
    expect(lines).toEqual([]);
    expect(() => summaryOf(ctx)).toThrow(/ENOENT/);
  });

  it('returns a failure instead of throwing when the file cannot be written', async () => {
    const target = join(dir, 'a-directory');
    mkdirSync(target);
    const { ctx } = context({ env: { GITHUB_STEP_SUMMARY: target } });

    const result = await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

    expect(result.status).toBe('failed');
    expect(outcome(result)).toMatch(/could not write the job summary: EISDIR/);
  });

  it('keeps secrets out of the summary and the annotations', async () => {
    const report = sampleReport();
    report.sources[1]!.errors = ['401 for token sk-live-5f2b9c1e: check the key'];
    const { ctx } = context({ report, secrets: ['sk-live-5f2b9c1e'] });
    const lines: string[] = [];

    await createGithubSummaryChannel('auto', { write: (l) => lines.push(l) }).deliver(ctx);

    expect(summaryOf(ctx)).toContain('401 for token \\*\\*\\*: check the key');
    expect(summaryOf(ctx) + lines.join('\n')).not.toContain('sk-live-5f2b9c1e');
  });

  it('includes the post-mortem starter of each bad stack inline, folded under <details>', async () => {
    const { ctx } = context();

    const result = await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

    expect(outcome(result)).not.toContain('shortened');
    const summary = summaryOf(ctx);
    const bad = ctx.report.stacks.filter((s) => s.verdict === 'bad');
    expect(bad.map((s) => s.id)).toEqual(['checkout', 'ledger']);
    for (const stack of bad) {
      const file = postmortemFile(ctx.report, stack);
      const name = stack.name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      const block = `<details><summary>Post-mortem starter: ${name} (${file.path})</summary>\n\n${file.text}\n</details>`;
      expect(summary).toContain(block);
    }
    expect(summary.match(/<details><summary>Post-mortem starter/g)).toHaveLength(2);
    // A stack name is text inside <summary>, never markup.
    expect(summary).not.toContain('<summary>Post-mortem starter: Ledger <script>');
  });

  it('gives up the post-mortem starters first when the summary would not fit, and says so', () => {
    const report = sampleReport();
    const whole = fitSummary(report, summaryLimitBytes).markdown;
    const withoutStarters = renderMarkdown(report);

    const fitted = fitSummary(report, bytes(whole) - 1);

    expect(bytes(whole)).toBeGreaterThan(bytes(withoutStarters));
    expect(fitted.omitted).toEqual(['post-mortem starters']);
    expect(fitted.markdown).not.toContain('<details><summary>Post-mortem starter');
    expect(fitted.markdown).toContain(
      "post-mortem starters did not fit here: they are in the run's artifact",
    );
    expect(fitted.markdown).toContain('### 🔴 Checkout');
  });

  describe('stays under GitHub’s 1 MiB', () => {
    it('drops the detail of normal stacks first', async () => {
      const report = fleet(sampleReport(), verdict('normal'), 1500, { name: 'n'.repeat(200) });
      expect(bytes(renderMarkdown(report))).toBeGreaterThan(summaryLimitBytes);
      const { ctx } = context({ report });

      const result = await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

      const summary = summaryOf(ctx);
      expect(bytes(summary)).toBeLessThanOrEqual(summaryLimitBytes);
      // The post-mortem starters go first, then the detail of normal stacks.
      expect(outcome(result)).toContain(
        'shortened (left out the post-mortem starters, detail of 6004 normal stacks)',
      );
      expect(summary).not.toContain('<details><summary>Post-mortem starter');
      expect(summary).toContain('**2 bad · 1 good · 6004 normal · 1 unknown**');
      expect(summary).toContain('### 🔴 Checkout');
      expect(summary).toContain('### 🟢 Search');
      expect(summary).toContain('### 🟡 Reporting');
      expect(summary).toContain('left out the detail of 6004 normal stacks');
      expect(summary).not.toContain('### ⚪ Normal');
    });

    it('then the detail of good and unknown stacks, keeping their names', async () => {
      const report = fleet(sampleReport(), verdict('good'), 80, { reasons: longReasons });
      const { ctx } = context({ report });

      await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

      const summary = summaryOf(ctx);
      expect(bytes(summary)).toBeLessThanOrEqual(summaryLimitBytes);
      expect(summary).toContain('### 🔴 Checkout');
      expect(summary).not.toContain('### 🟢 Search');
      expect(summary).toContain('left out the detail of 1 unknown stacks, and the detail of 81 good stacks');
      expect(summary).toContain('- **good**: Search, Search copy 0, Search copy 1,');
    });

    it('and when even bad stacks alone are too many, cuts at a line and says so', async () => {
      const report = fleet(sampleReport(), verdict('bad'), 40, { reasons: longReasons });
      const { ctx } = context({ report });

      const result = await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

      const summary = summaryOf(ctx);
      expect(bytes(summary)).toBeLessThanOrEqual(summaryLimitBytes);
      expect(bytes(summary)).toBeGreaterThan(summaryLimitBytes - 64 * 1024);
      expect(summary).not.toContain('\uFFFD');
      expect(summary).toContain(
        "Cut short to fit GitHub's 1 MiB job-summary limit. The full report is in the run's artifact (report.md, report.html).\n",
      );
      // The note on what was left out survives the cut, at the end.
      expect(summary).toContain('left out the detail of 1 unknown stacks, and the detail of 1 good stacks');
      expect(summary.endsWith('- **unknown**: Reporting\n- **good**: Search\n')).toBe(true);
      expect(outcome(result)).toContain('the end of the text');
    });

    it('counting what earlier steps already wrote', async () => {
      const { ctx } = context({ report: fleet(sampleReport(), verdict('normal'), 500) });
      const earlier = `# Earlier step\n${'x'.repeat(1000 * 1024)}\n`;
      writeFileSync(ctx.env.GITHUB_STEP_SUMMARY!, earlier);

      await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

      const summary = summaryOf(ctx);
      expect(summary.startsWith(earlier)).toBe(true);
      expect(bytes(summary)).toBeLessThanOrEqual(summaryLimitBytes);
      expect(summary).toContain('### 🔴 Checkout');
    });

    it('and fails cleanly when there is no room left at all', async () => {
      const { ctx } = context();
      writeFileSync(ctx.env.GITHUB_STEP_SUMMARY!, 'x'.repeat(summaryLimitBytes - 100));

      const result = await createGithubSummaryChannel('auto', { write: () => {} }).deliver(ctx);

      expect(result.status).toBe('failed');
      expect(bytes(summaryOf(ctx))).toBe(summaryLimitBytes - 100);
    });
  });
});
