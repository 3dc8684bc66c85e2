import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { escapeMrkdwn, slackLimits, slackPayload } from '../../../src/deliver/slack';
import type { SlackBlock, SlackMessage, SlackText } from '../../../src/deliver/slack';
import type { Report, StackReport } from '../../../src/report/types';
import { loadConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import { hostile, sampleReport } from '../../fixtures/sample-report';

const demoPath = join(__dirname, '../../fixtures/slack-payload.demo.json');
const demoOptions = {
  runUrl: 'https://github.com/acme/payments-ops/actions/runs/4242',
  artifactUrl: 'https://github.com/acme/payments-ops/actions/runs/4242/artifacts/99',
};

function texts(message: SlackMessage): SlackText[] {
  return message.blocks.flatMap((b: SlackBlock) =>
    b.type === 'context' ? b.elements : b.type === 'divider' ? [] : [b.text],
  );
}

function sectionTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((b) => (b.type === 'section' ? [b.text.text] : []));
}

/** Everything Slack would parse as markup: links we made are fine, any other < or > is not. */
function strayMarkup(text: string): string[] {
  return text.replace(/<https?:\/\/[^\s|<>]+\|[^<>|]+>/g, '').match(/[<>]/g) ?? [];
}

describe('slackPayload', () => {
  it('puts bad stacks first with their first reasons, then good ones, then a compact line', () => {
    const report = sampleReport();

    const message = slackPayload(report);

    const sections = sectionTexts(message);
    const checkout = sections.findIndex((t) => t.includes('Checkout'));
    const ledger = sections.findIndex((t) => t.includes('Ledger'));
    const search = sections.findIndex((t) => t.includes('Search'));
    expect(checkout).toBeGreaterThan(0);
    expect(ledger).toBeGreaterThan(0);
    expect(search).toBeGreaterThan(Math.max(checkout, ledger));
    expect(sections[checkout]).toContain(
      '• p95 latency 412 ms vs usual 280 ms (+47%, 5.2× the usual spread), objective ≤ 500 ms',
    );
    expect(sections[checkout]).toContain('_3 deployments, 1 alert in the window_');
    const compact = message.blocks.find(
      (b) => b.type === 'context' && b.elements.some((e) => e.text.includes('Normal')),
    );
    expect(compact).toBeDefined();
    expect(JSON.stringify(compact)).toContain('*Unknown (1):* Reporting');
    expect(JSON.stringify(compact)).toContain(
      '*Normal (4):* Accounts, Inventory, Edge gateway, Notifications',
    );
  });

  it('opens with the title and date and the counts, and has a plain-text fallback', () => {
    const message = slackPayload(sampleReport());

    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Payments & friends — daily health · 2026-11-26', emoji: true },
    });
    expect(sectionTexts(message)[0]).toBe(
      ':red_circle: *2 bad*   :large_green_circle: *1 good*   :white_circle: 4 normal   :grey_question: 1 unknown',
    );
    expect(message.text).toBe(
      'Payments &amp; friends — daily health 2026-11-26: 2 bad · 1 good · 4 normal · 1 unknown',
    );
  });

  it('escapes &, < and > in every value from outside', () => {
    const message = slackPayload(sampleReport(), demoOptions);

    const all = texts(message).filter((t) => t.type === 'mrkdwn');
    expect(all.flatMap((t) => strayMarkup(t.text))).toEqual([]);
    const joined = all.map((t) => t.text).join('\n');
    expect(joined).not.toContain('<script');
    expect(joined).toContain(escapeMrkdwn(hostile.stackName));
    expect(joined).toContain(escapeMrkdwn(hostile.reason));
    expect(joined).toContain('parse error at &lt;char 12&gt;');
  });

  it('links only http(s) URLs, with & escaped, and never javascript:', () => {
    const report = sampleReport();
    const [checkout] = report.stacks as [StackReport];
    const onlyEvil: StackReport = { ...checkout, links: { runbook: hostile.link } };

    const withDashboard = JSON.stringify(slackPayload(report));
    const evil = JSON.stringify(slackPayload({ ...report, stacks: [onlyEvil] }));

    expect(withDashboard).toContain(
      '<https://app.datadoghq.eu/dashboard/abc-123?tpl_var_service=checkout-api&amp;live=true|Checkout>',
    );
    expect(evil).not.toContain('javascript:');
    expect(evil).toContain(':red_circle: *Checkout* · payments');
  });

  it('links the run and the full report when known, and leaves the links out otherwise', () => {
    const withLinks = slackPayload(sampleReport(), demoOptions);
    const without = slackPayload(sampleReport());

    expect(withLinks.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `<${demoOptions.artifactUrl}|Full report> · <${demoOptions.runUrl}|View the run>`,
          verbatim: true,
        },
      ],
    });
    expect(JSON.stringify(without)).not.toContain('View the run');
  });

  it('reports data sources with problems', () => {
    const message = slackPayload(sampleReport());

    const sources = sectionTexts(message).find((t) => t.includes('Data sources with problems'));
    expect(sources).toContain('`grafana` partly failed: query C (ledger queue depth)');
    expect(sources).not.toContain('`dd`');
  });

  it.each([
    [
      'a few hundred bad stacks',
      sampleReport({ stacks: 400, allVerdict: 'bad' }),
      /… and \d+ more bad stacks_/,
    ],
    [
      'a few hundred good stacks',
      sampleReport({ stacks: 400, allVerdict: 'good' }),
      /… and \d+ more good stacks_/,
    ],
    ['a large ordinary fleet', sampleReport({ stacks: 1500 }), /\*Normal \(1242\):\* .*, … and \d+ more/],
  ])(
    'stays within Block Kit limits for %s, counting what it leaves out',
    (_, report: Report, leftOut: RegExp) => {
      const message = slackPayload(report, demoOptions);

      expect(message.blocks.length).toBeLessThanOrEqual(slackLimits.blocks);
      for (const text of texts(message)) expect(text.text.length).toBeLessThanOrEqual(slackLimits.text);
      for (const block of message.blocks) {
        if (block.type === 'context')
          expect(block.elements.length).toBeLessThanOrEqual(slackLimits.contextElements);
      }
      expect(texts(message).map((t) => t.text)).toContainEqual(expect.stringMatching(leftOut));
      expect(JSON.stringify(message.blocks.at(-1))).toContain('View the run');
    },
  );

  it('clips an absurdly long name without breaking an escape or a link', () => {
    const report = sampleReport();
    const [checkout] = report.stacks as [StackReport];
    const long: StackReport = { ...checkout, name: '&'.repeat(5000), reasons: ['<'.repeat(4000)] };

    const message = slackPayload({ ...report, title: 'T'.repeat(400), stacks: [long] });

    const header = message.blocks[0] as { text: SlackText };
    expect(header.text.text.length).toBeLessThanOrEqual(slackLimits.header);
    const bad = sectionTexts(message)[1]!;
    expect(bad.length).toBeLessThanOrEqual(slackLimits.text);
    expect(bad).toMatch(/^:red_circle: \*<https:\/\/[^|]+\|(&amp;)+…>\* · payments\n• (&lt;)+…\n/);
  });
});

describe('escapeMrkdwn', () => {
  it.each([
    ['A & B', 'A &amp; B'],
    ['<!channel> ping', '&lt;!channel&gt; ping'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    ['already &amp;', 'already &amp;amp;'],
    ['plain', 'plain'],
  ])('%s → %s', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });
});

describe('slack-payload.demo.json', () => {
  it('is what slackPayload() makes of the demo report (UPDATE_FIXTURES=1 regenerates it)', async () => {
    const at = Date.parse('2026-11-26T08:00:00Z');
    const config = loadConfig(join(__dirname, '../../../config/demo.yaml'), {});
    const { reports } = await generateReports(
      config,
      // As `report` runs it: with the fortnight (streaks in words, the delivery line).
      { times: [at], historyDays: 14, generatedAt: at + 3_000 },
      { logger: silentLogger, now: () => at, sleep: () => Promise.resolve(), random: () => 0 },
    );
    const current = `${JSON.stringify(slackPayload(reports[0]!, demoOptions), null, 2)}\n`;
    if (process.env.UPDATE_FIXTURES === '1') writeFileSync(demoPath, current);

    const stored = readFileSync(demoPath, 'utf8');

    expect(stored).toBe(current);
  });
});
