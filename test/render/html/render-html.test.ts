import mjml2html from 'mjml';
import { buildDocument } from '../../../src/render/html/document';
import { escapeHtml, quotedPrintableSize, renderHtml, safeHref } from '../../../src/render/html';
import { fill } from '../../../src/render/html/template';
import type { Report } from '../../../src/report/types';
import { filterReport } from '../../../src/deliver/email';
import { withDeliverySection } from '../../../src/report/story/delivery';
import { sampleReport } from '../../fixtures/sample-report';

/** Gmail clips a message whose HTML passes ~102 KB. */
const gmailClip = 102 * 1024;

/** Every attribute of every real tag (escaped text such as `&lt;img onerror` is not a tag). */
function attributes(html: string): { tag: string; name: string; value: string }[] {
  const out: { tag: string; name: string; value: string }[] = [];
  for (const tag of html.matchAll(
    /<([a-zA-Z][\w:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g,
  )) {
    for (const attr of tag[2]!.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
      out.push({
        tag: tag[1]!.toLowerCase(),
        name: attr[1]!.toLowerCase(),
        value: attr[2] ?? attr[3] ?? attr[4] ?? '',
      });
    }
  }
  return out;
}

const hrefs = (html: string) =>
  attributes(html)
    .filter((a) => a.name === 'href')
    .map((a) => a.value);

describe('MJML templates', () => {
  it.each<[string, Report]>([
    ['the sample', sampleReport()],
    ['a 50-stack fleet', sampleReport({ stacks: 50 })],
    ['one team', filterReport(sampleReport(), 'payments')],
    ['a day with everything bad', sampleReport({ stacks: 12, allVerdict: 'bad' })],
    [
      'a report with no stacks',
      { ...sampleReport(), stacks: [], summary: { good: 0, normal: 0, bad: 0, unknown: 0 } },
    ],
  ])('compile with strict validation for %s', async (_name, report) => {
    const mjml = buildDocument(report, { detailLimit: 99, chart: () => null });

    const result = await mjml2html(mjml, { validationLevel: 'strict', fonts: {} });

    expect(result.errors).toEqual([]);
    expect(result.html).toContain('<!doctype html>');
  });

  it('refuse a placeholder without a value, and never expand one inside a value', () => {
    expect(() => fill('<p>{{missing}}</p>', {})).toThrow('no value for {{missing}}');
    expect(fill('<p>{{a}}</p><p>{{{b}}}</p>', { a: '{{b}} <i>', b: '<b>x</b>' })).toBe(
      '<p>{{b}} &lt;i&gt;</p><p><b>x</b></p>',
    );
  });
});

describe('renderHtml for email (cid images)', () => {
  let html: string;
  let images: { cid: string; filename: string; content: Buffer }[];
  const report = sampleReport();

  beforeAll(async () => {
    ({ html, images } = await renderHtml(report, { images: 'cid', validationLevel: 'strict' }));
  });

  it('has a header with the date, the window in the report’s zone and the counts', () => {
    expect(html).toContain('<title>Payments &amp; friends — daily health</title>');
    expect(html).toContain('Thu 26 Nov 2026');
    expect(html).toContain('Wed 25 Nov 09:00 – Thu 26 Nov 09:00 (Europe/Berlin)');
    for (const count of ['2 bad', '1 good', '4 normal', '1 unknown'])
      expect(html).toContain(`>${count}</span>`);
  });

  it('shows bad stacks first, then unknown, good and the compact list of normal ones', () => {
    const order = [
      'Needs discussion — 2 bad',
      '>Checkout</a>',
      'Not enough data to judge — 1 unknown',
      'Better than usual — 1 good',
      '>Search</a>',
      'Within the usual range — 4 normal',
      'Data completeness',
    ].map((marker) => html.indexOf(marker));

    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives a bad stack its reasons, metric table, episodes, deployments and alerts in local time', () => {
    expect(html).toContain(
      'p95 latency 412 ms vs usual 280 ms (+47%, 5.2× the usual spread), objective ≤ 500 ms',
    );
    expect(html).toMatch(
      />412 ms<\/td><td [^>]*>280 ms<\/td><td [^>]*color:#b42318;font-weight:bold">\+47%<\/td>/,
    );
    // 13:05–13:50 UTC is 14:05–14:50 in Berlin.
    expect(html).toContain('Wed 14:05–14:50</span> p95 latency peaked at 930 ms, usual 300 ms (45 min)');
    expect(html).toContain('Wed 23:30 – Thu 02:15');
    expect(html).toContain('<b>Deployments</b>: 3 in the window (21 in 14 days)');
    expect(html).toContain(
      'Wed 13:58</span> <a href="https://github.com/acme/checkout/releases/tag/v2.31.0">checkout-api v2.31.0</a>',
    );
    expect(html).toContain('<b>Alerts</b>: 1 in the window (4 in 14 days)');
  });

  it('shows episode times in whatever zone the report is in', async () => {
    const ny = { ...report, window: { ...report.window, timezone: 'America/New_York' } };

    const { html: nyHtml } = await renderHtml(ny, { images: 'cid' });

    expect(nyHtml).toContain('Wed 08:05–08:50</span> p95 latency');
    expect(nyHtml).toContain('Wed 25 Nov 03:00 – Thu 26 Nov 03:00 (America/New_York)');
  });

  it('shows a dash for a time that does not parse instead of failing the report', async () => {
    const broken = sampleReport();
    broken.stacks[0]!.events.deployments!.items[0]!.at = 'not a time';
    broken.stacks[0]!.metrics[0]!.episodes[0]!.end = '';

    const { html: out } = await renderHtml(broken, { images: 'cid' });

    expect(out).toContain('>—</span> <a href="https://github.com/acme/checkout/releases/tag/v2.31.0">');
    expect(out).toContain('>—</span> p95 latency peaked at 930 ms, usual 300 ms (—)');
  });

  it('says what an unknown stack is missing', () => {
    expect(html).toContain('p95 latency: only 12% of expected points in the window (needs 50%)');
    expect(html).toContain('error rate: 2 of 7 baseline days have data (needs 3)');
  });

  it('has a footer with data completeness per source and how verdicts are made', () => {
    expect(html).toContain(
      'grafana (grafana): <b style="color:#93370d">partial</b>, 3 requests — query C (ledger queue depth): 400 parse error at &lt;char 12&gt;',
    );
    expect(html).toContain('dd (datadog): <b style="color:#067647">ok</b>, 4 requests, 1 retry');
    expect(html).toContain('Metrics with enough data to judge: 21 of 23');
    expect(html).toContain(
      'Each metric&#39;s last 24 h against the same hours on the previous 7 days (median and a robust spread)',
    );
  });

  it('refers to every chart by cid: and returns each as a PNG, one per metric of every bad or good stack', () => {
    const cids = [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
    const charted = report.stacks
      .filter((s) => s.verdict === 'bad' || s.verdict === 'good')
      .flatMap((s) => s.metrics)
      .filter((m) => m.chart);

    expect(cids).toHaveLength(charted.length);
    expect(images.map((i) => i.cid)).toEqual(cids);
    expect(new Set(images.map((i) => i.filename)).size).toBe(images.length);
    for (const image of images) expect(image.content.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(html).toContain('alt="p95 latency: 412 ms now, usual 280 ms; unusual Wed 14:05–14:50"');
  });

  it('renders hostile names, labels, titles and reasons as text', () => {
    expect(html).not.toMatch(/<script/i);
    expect(attributes(html).filter((a) => a.name.startsWith('on'))).toEqual([]);
    expect(attributes(html).filter((a) => a.tag === 'img').length).toBeGreaterThan(0);
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('Ledger &lt;script&gt;window.__pwned = &quot;name&quot;&lt;/script&gt;');
    expect(html).toContain('p99 &lt;img src=x onerror=&quot;window.__pwned=&#39;label&#39;&quot;&gt;');
    expect(html).toContain('Deploy &lt;script&gt;window.__pwned=&quot;event&quot;&lt;/script&gt; v7');
    expect(html).toContain('queue depth &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;');
  });

  it('only ever links http(s) URLs, escaped, and keeps unsafe ones out of every attribute', () => {
    const links = hrefs(html);

    expect(links.length).toBeGreaterThan(5);
    for (const href of links) expect(href).toMatch(/^https?:\/\//);
    expect(html).not.toMatch(/href\s*=\s*["']?\s*javascript:/i);
    expect(html).toContain(
      'href="https://app.datadoghq.eu/dashboard/abc-123?tpl_var_service=checkout-api&amp;live=true"',
    );
    expect(html).toContain('runbook <span style="color:#98a2b3">(link hidden)</span>');
    expect(html).toContain('evil &quot;link&quot; <span');
  });
});

describe('renderHtml for report.html (inline images)', () => {
  it('embeds every chart as a data: URI and returns no attachments', async () => {
    const report = sampleReport();

    const { html, images } = await renderHtml(report, { images: 'inline' });

    expect(images).toEqual([]);
    expect(html).not.toContain('cid:');
    const charted = report.stacks
      .filter((s) => s.verdict === 'bad' || s.verdict === 'good')
      .flatMap((s) => s.metrics);
    // SVG, which a browser draws itself ("<svg" in base64 is PHN2Zy).
    expect(html.match(/src="data:image\/svg\+xml;base64,PHN2Zy/g)).toHaveLength(charted.length);
  });
});

describe('size: Gmail clips HTML over ~102 KB', () => {
  it('keeps a 50-stack fleet under 102 KB with every bad and good stack in full', async () => {
    const report = sampleReport({ stacks: 50 });

    const { html, shortened, images } = await renderHtml(report, { images: 'cid' });

    const size = Buffer.byteLength(html);
    const encoded = quotedPrintableSize(html);
    console.log(`50-stack email HTML: ${size} bytes, ${encoded} quoted-printable, ${images.length} charts`);
    expect(size).toBeLessThan(gmailClip);
    expect(encoded).toBeLessThan(gmailClip);
    expect(shortened).toBe(0);
    expect(report.summary.normal).toBeGreaterThan(30);
    for (const s of report.stacks) expect(html).toContain(escapeHtml(s.name));
  });

  it('stays under the limit on a day when all 50 stacks are bad, shortening the tail and saying so', async () => {
    const report = sampleReport({ stacks: 50, allVerdict: 'bad' });

    const { html, shortened, images } = await renderHtml(report, { images: 'cid' });

    expect(Buffer.byteLength(html)).toBeLessThan(gmailClip);
    expect(quotedPrintableSize(html)).toBeLessThanOrEqual(100_000);
    expect(shortened).toBeGreaterThan(0);
    expect(shortened).toBeLessThan(50);
    expect(html).toContain(`${shortened} more bad stacks in short form to keep this email small`);
    for (const s of report.stacks) expect(html).toContain(escapeHtml(s.name));
    // Only the charts of the stacks still shown in full travel as attachments.
    expect(new Set([...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]))).toEqual(
      new Set(images.map((i) => i.cid)),
    );
  });

  it('keeps a 50-stack fleet with a restless fortnight under 102 KB: the calendar shows 15 rows and says how many more', async () => {
    const report = sampleReport({ stacks: 50 });
    const verdicts = ['normal', 'bad', 'unknown', 'good'] as const;
    // Every stack had a day that was not normal: the calendar's worst case.
    report.stacks = report.stacks.map((s, i) => ({
      ...s,
      history: Array.from({ length: 14 }, (_, d) => ({
        at: new Date(Date.parse(report.window.end) - (13 - d) * 86_400_000).toISOString(),
        verdict: d === 13 ? s.verdict : verdicts[(i + d) % 4]!,
      })),
      streak: { kind: 'flapping', days: 3 },
    }));

    const { html, shortened } = await renderHtml(report, { images: 'cid' });
    const file = await renderHtml(report, { images: 'inline' });

    const encoded = quotedPrintableSize(html);
    console.log(
      `50-stack email HTML with a 14-day calendar: ${Buffer.byteLength(html)} bytes, ${encoded} quoted-printable`,
    );
    expect(encoded).toBeLessThan(gmailClip);
    expect(shortened).toBe(0);
    expect(html.match(/<tr><td class="cn">/g)).toHaveLength(15);
    expect(html).toContain(
      '35 more stacks with a day that was not normal; report.html has the whole calendar.',
    );
    expect(file.html.match(/<tr><td class="cn">/g)).toHaveLength(50);
  });

  it('counts the normal stacks of a 2,000-stack fleet per team when their names alone would pass the limit', async () => {
    const report = sampleReport({ stacks: 2000, allVerdict: 'normal' });

    const { html } = await renderHtml(report, { images: 'cid' });
    const file = await renderHtml(report, { images: 'inline' });

    expect(quotedPrintableSize(html)).toBeLessThanOrEqual(100_000);
    expect(html).toContain('Too many to name in an email; report.html lists every one.');
    expect(html).toMatch(/<b>[^<]+<\/b>: \d+/);
    // report.html still names every one.
    for (const s of report.stacks) expect(file.html).toContain(escapeHtml(s.name));
    expect(file.html).not.toContain('Too many to name');
  });

  it('says so when nothing is bad', async () => {
    const report = sampleReport({ stacks: 3, allVerdict: 'normal' });

    const { html } = await renderHtml(report, { images: 'cid' });

    expect(html).toContain('No stack needs discussion today');
    expect(html).not.toContain('Needs discussion —');
  });
});

describe('quotedPrintableSize', () => {
  it.each([
    ['plain ASCII', 'abc', 3],
    ['an equals sign', 'a=b', 5],
    ['a non-ASCII character (2 UTF-8 bytes)', 'é', 6],
    ['a newline (CRLF on the wire)', 'a\nb', 4],
    ['a soft line break after 75 characters', 'x'.repeat(80), 83],
  ])('counts %s', (_name, text, expected) => {
    expect(quotedPrintableSize(text)).toBe(expected);
  });
});

describe('escapeHtml and safeHref', () => {
  it('escapes the five HTML specials and drops control characters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\u0000`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;',
    );
  });

  it.each([
    ['https://grafana.example.com/d/x?a=1&b=2', 'https://grafana.example.com/d/x?a=1&b=2'],
    ['HTTP://Example.com', 'http://example.com/'],
    ['javascript:alert(1)', null],
    ['JavaScript:alert(1)', null],
    [' javascript:alert(1)', null],
    ['java\tscript:alert(1)', null],
    ['https://exa mple.com', null],
    ['https://example.com/\nx', null],
    ['data:text/html,<script>alert(1)</script>', null],
    ['//evil.example.com', null],
    ['/relative/path', null],
    ['vbscript:msgbox', null],
    ['', null],
  ])('safeHref(%j) is %j', (input, expected) => {
    expect(safeHref(input)).toBe(expected);
  });
});

describe('the delivery section (how we ship)', () => {
  const verdicts = ['normal', 'bad', 'unknown', 'good'] as const;
  /** The sample with a fortnight and deployments on every stack of a team; Accounts' search failed. */
  function withDeliveries(
    base: Report,
    hasSource = (s: Report['stacks'][number]) => s.team === 'discovery' || s.team === 'payments',
  ): Report {
    const days = Array.from({ length: 14 }, (_, d) =>
      new Date(Date.parse(base.window.end) - (13 - d) * 86_400_000).toISOString(),
    );
    const stacks = base.stacks.map((s, i) => ({
      ...s,
      // A restless fortnight: every stack in the calendar, its worst case for size.
      history: days.map((at, d) => ({ at, verdict: d === 13 ? s.verdict : verdicts[(i + d) % 4]! })),
      ...(hasSource(s)
        ? {
            delivery:
              s.id === 'accounts'
                ? {
                    status: 'failed' as const,
                    perDay: [],
                    total: 0,
                    followedByBad: 0,
                    deployLinkMinutes: 120,
                  }
                : {
                    status: 'ok' as const,
                    perDay: days.map((_, d) => (d + i) % 3),
                    total: days.reduce((n, _, d) => n + ((d + i) % 3), 0),
                    followedByBad: s.verdict === 'bad' ? 1 : 0,
                    deployLinkMinutes: 120,
                  },
          }
        : {}),
    }));
    return withDeliverySection({ ...base, stacks });
  }

  it('shows a bar chart per team and the fleet, the counts in words, and names the failed search', async () => {
    const report = withDeliveries(sampleReport());
    const section = report.delivery!;

    const { html, images } = await renderHtml(report, { images: 'cid', validationLevel: 'strict' });

    expect(html).toContain('How we ship — last 14 days');
    expect(section.teams.map((t) => t.team)).toEqual(['discovery', 'payments']);
    const bars = images.filter((i) => i.cid.startsWith('deploys-'));
    expect(bars).toHaveLength(3);
    for (const b of bars) {
      expect(html).toContain(`src="cid:${b.cid}"`);
      expect(b.content.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    const fleet = section.fleet;
    expect(html).toContain(
      `${fleet.total} deploys in 14 days (${fleet.stacks} stacks) · deploys followed by a bad stretch within 2 h: ${fleet.followedByBad} of ${fleet.total} · partial: deployment search failed for 1 stack (accounts), not counted`,
    );
    // The counts are in the alt text too, for a reader with images off.
    expect(html).toContain(`alt="Deploys a day, oldest first: ${fleet.perDay.join(', ')}"`);
    // Platform's stacks have no deployment source: no row, and not counted as zero anywhere.
    expect(html).not.toMatch(/<b>platform<\/b><img/);
  });

  it('embeds the bars in report.html and gives a team’s email its own counts only', async () => {
    const report = withDeliveries(sampleReport());
    const payments = filterReport(report, 'payments');

    const file = await renderHtml(report, { images: 'inline' });
    const email = await renderHtml(payments, { images: 'cid' });

    expect(file.html.match(/<img src="data:image\/png;base64,[^"]+" width="168" height="44"/g)).toHaveLength(
      3,
    );
    expect(payments.delivery!.teams.map((t) => t.team)).toEqual(['payments']);
    expect(payments.delivery!.fleet.total).toBe(report.delivery!.teams[1]!.total);
    // One team: one row, not the same numbers twice.
    expect(email.images.filter((i) => i.cid.startsWith('deploys-'))).toHaveLength(1);
    expect(email.html).not.toContain('all teams');
  });

  it('is left out when no stack has a deployment source', async () => {
    const { html } = await renderHtml(sampleReport(), { images: 'cid' });

    expect(html).not.toContain('How we ship');
  });

  it('keeps a 50-stack, 10-team fleet under 102 KB with the section and a restless calendar', async () => {
    const base = sampleReport({ stacks: 50 });
    base.stacks = base.stacks.map((s, i) => ({ ...s, team: `team-${i % 10}` }));
    const report = withDeliveries(base, () => true);

    const { html, images, shortened } = await renderHtml(report, { images: 'cid' });

    const encoded = quotedPrintableSize(html);
    console.log(`50-stack, 10-team email HTML with calendar and delivery: ${encoded} bytes quoted-printable`);
    expect(report.delivery!.teams).toHaveLength(10);
    expect(images.filter((i) => i.cid.startsWith('deploys-'))).toHaveLength(11);
    expect(encoded).toBeLessThan(gmailClip);
    expect(shortened).toBe(0);
  });
});
