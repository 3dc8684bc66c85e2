/**
 * The HTML in real headless Chromium: no sideways scrolling on a phone or a desktop, every chart
 * loads, and hostile report strings stay text (no script runs, no element is created from them).
 * Screenshots land in out/screenshots/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import { renderHtml } from '../../../src/render/html';
import { sparklineSize } from '../../../src/render/charts';
import type { StackReport } from '../../../src/report/types';
import { hostile, sampleReport } from '../../fixtures/sample-report';
import { launchBrowser } from '../../support/browser';

const screenshots = path.resolve(__dirname, '../../../out/screenshots');

const viewports = [
  { name: 'phone', width: 375, height: 812 },
  { name: 'desktop', width: 1200, height: 900 },
] as const;

let browser: Browser;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface PageFindings {
  scrollWidth: number;
  innerWidth: number;
  images: { src: string; complete: boolean; naturalWidth: number }[];
  pwned: unknown;
  scripts: number;
  handlers: string[];
  unsafeLinks: string[];
  text: string;
  dialogs: string[];
  errors: string[];
}

// In-page code as strings: the project compiles without the DOM library, and these run in Chromium.
const allImagesSettled = '[...document.images].every((img) => img.complete)';
const collectFindings = `(() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  images: [...document.images].map((img) => ({
    src: img.src.slice(0, 40),
    complete: img.complete,
    naturalWidth: img.naturalWidth,
  })),
  pwned: window.__pwned,
  scripts: document.querySelectorAll('script').length,
  handlers: [...document.querySelectorAll('*')].flatMap((el) =>
    [...el.attributes].filter((a) => a.name.toLowerCase().startsWith('on')).map((a) => el.tagName + ' ' + a.name),
  ),
  unsafeLinks: [...document.querySelectorAll('a[href]')].map((a) => a.href).filter((href) => !/^https?:\\/\\//i.test(href)),
  text: document.body.innerText,
}))()`;

/** Load the HTML with JavaScript on (so an injected script would run) and collect what a test checks. */
async function open(
  html: string,
  viewport: { width: number; height: number },
): Promise<{ page: Page; findings: PageFindings }> {
  const page = await browser.newPage({ viewport, javaScriptEnabled: true });
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.setContent(html, { waitUntil: 'load' });
  await page.waitForFunction(allImagesSettled);
  const found = await page.evaluate<Omit<PageFindings, 'dialogs' | 'errors'>>(collectFindings);
  return { page, findings: { ...found, dialogs, errors } };
}

/** Open, collect findings, screenshot, close: one page load per document and viewport. */
async function inspect(
  html: string,
  viewport: (typeof viewports)[number],
  file: string,
  /** Also a close-up of the 14-day calendar's section, when the document has one. */
  calendarFile?: string,
  /** Also a close-up of the delivery section ("How we ship"), when the document has one. */
  deliveryFile?: string,
): Promise<PageFindings> {
  const { page, findings } = await open(html, viewport);
  try {
    await page.screenshot({ path: path.join(screenshots, file), fullPage: true });
    if (calendarFile) {
      await page
        .locator('table.cal')
        .locator('xpath=../..')
        .screenshot({ path: path.join(screenshots, calendarFile) });
    }
    if (deliveryFile) {
      await page.locator('div.deploys').screenshot({ path: path.join(screenshots, deliveryFile) });
    }
  } finally {
    await page.close();
  }
  return findings;
}

describe('report.html (inline images) in Chromium', () => {
  const seen = new Map<string, PageFindings>();

  beforeAll(async () => {
    const { html } = await renderHtml(sampleReport(), { images: 'inline' });
    for (const viewport of viewports) {
      seen.set(viewport.name, await inspect(html, viewport, `report-${viewport.name}.png`));
    }
  });

  it.each(viewports)(
    'fits a $name screen ($width px) without sideways scrolling, every chart loaded',
    (viewport) => {
      const findings = seen.get(viewport.name)!;

      expect(findings.scrollWidth).toBeLessThanOrEqual(findings.innerWidth);
      expect(findings.images.length).toBe(8);
      for (const image of findings.images) {
        // An SVG at its own size: a vector stays sharp on any screen.
        expect(image).toMatchObject({ complete: true, naturalWidth: sparklineSize.width });
      }
    },
  );

  it.each(viewports)(
    'keeps hostile strings as text on $name: nothing runs, nothing is created',
    (viewport) => {
      const findings = seen.get(viewport.name)!;

      expect(findings.pwned).toBeUndefined();
      expect(findings.dialogs).toEqual([]);
      expect(findings.errors).toEqual([]);
      expect(findings.scripts).toBe(0);
      expect(findings.handlers).toEqual([]);
      expect(findings.unsafeLinks).toEqual([]);
      // The strings are there, shown as the text they are.
      expect(findings.text).toContain(hostile.stackName);
      expect(findings.text).toContain(hostile.metricLabel);
      expect(findings.text).toContain(hostile.eventTitle);
      expect(findings.text).toContain(hostile.alertTitle);
      expect(findings.text).toContain(hostile.reason);
    },
  );
});

describe('the 50-stack email (cid images) in Chromium', () => {
  const seen = new Map<string, PageFindings>();
  let attachments = 0;

  beforeAll(async () => {
    const { html, images } = await renderHtml(sampleReport({ stacks: 50 }), { images: 'cid' });
    attachments = images.length;
    // Do what a mail client does: resolve each cid: to the attached part.
    const byCid = new Map(images.map((i) => [i.cid, i.content]));
    const resolved = html.replace(/src="cid:([^"]+)"/g, (_m, cid: string) => {
      const content = byCid.get(cid);
      return content ? `src="data:image/png;base64,${content.toString('base64')}"` : 'src="missing:"';
    });
    for (const viewport of viewports) {
      seen.set(viewport.name, await inspect(resolved, viewport, `email-50-stacks-${viewport.name}.png`));
    }
  });

  it.each(viewports)('fits a $name screen and every cid: picture resolves to its attachment', (viewport) => {
    const findings = seen.get(viewport.name)!;

    expect(findings.scrollWidth).toBeLessThanOrEqual(findings.innerWidth);
    expect(attachments).toBeGreaterThan(10);
    expect(findings.images.length).toBe(attachments);
    expect(findings.images.filter((i) => i.naturalWidth === 0)).toEqual([]);
    expect(findings.text).toContain('Within the usual range — 39 normal');
  });
});

describe('the demo email (what `npm start` would send) in Chromium', () => {
  const seen = new Map<string, PageFindings>();
  let attachments = 0;

  beforeAll(async () => {
    const at = Date.parse('2026-11-26T08:00:00Z');
    const config = loadConfig(path.resolve(__dirname, '../../../config/demo.yaml'), {});
    const { reports } = await generateReports(
      config,
      { times: [at], historyDays: 14, generatedAt: at },
      { logger: silentLogger, now: () => at, sleep: () => Promise.resolve(), random: () => 0 },
    );
    const { html, images } = await renderHtml(reports[0]!, { images: 'cid' });
    attachments = images.length;
    const byCid = new Map(images.map((i) => [i.cid, i.content]));
    const resolved = html.replace(/src="cid:([^"]+)"/g, (_m, cid: string) => {
      const content = byCid.get(cid);
      return content ? `src="data:image/png;base64,${content.toString('base64')}"` : 'src="missing:"';
    });
    for (const viewport of viewports) {
      seen.set(
        viewport.name,
        await inspect(
          resolved,
          viewport,
          `demo-email-${viewport.name}.png`,
          `demo-calendar-${viewport.name}.png`,
          `demo-delivery-${viewport.name}.png`,
        ),
      );
    }
  });

  it.each(viewports)('reads on a $name screen: no sideways scroll, charts inline, bad first', (viewport) => {
    const findings = seen.get(viewport.name)!;

    expect(findings.scrollWidth).toBeLessThanOrEqual(findings.innerWidth);
    expect(attachments).toBeGreaterThan(0);
    expect(findings.images.length).toBe(attachments);
    expect(findings.images.filter((i) => i.naturalWidth === 0)).toEqual([]);
    expect(findings.text.indexOf('Checkout')).toBeLessThan(findings.text.indexOf('Search'));
  });

  it.each(viewports)(
    'shows the 14-day calendar on a $name screen: a row per eventful stack, today last',
    (viewport) => {
      const findings = seen.get(viewport.name)!;
      const calendar = findings.text.slice(findings.text.indexOf('Last 14 days'));

      expect(calendar).toMatch(/report day\s+13\s+14\s+15/);
      expect(calendar).toMatch(/Payments · day 3(\s+B){3}/);
      expect(calendar).toMatch(/Catalog · recovered\s+B\s/);
      expect(calendar).not.toContain('Inventory');
    },
  );

  it.each(viewports)(
    'shows how the teams ship on a $name screen: bars per team and the counts in words',
    (viewport) => {
      const findings = seen.get(viewport.name)!;
      const section = findings.text.slice(findings.text.indexOf('How we ship — last 14 days'));

      expect(section).toMatch(
        /all teams\s+\d+ deploys in 14 days \(3 stacks\) · deploys followed by a bad stretch within 2 h: \d+ of \d+/,
      );
      expect(section).toMatch(/discovery\s+\d+ deploys? in 14 days \(1 stack\)/);
      expect(section).toMatch(/payments\s+\d+ deploys? in 14 days \(2 stacks\)/);
      // Three bar charts (fleet, discovery, payments), all loaded: part of the attachments counted above.
      expect(findings.images.filter((i) => i.naturalWidth === 336)).toHaveLength(3);
    },
  );
});

describe('long unbroken strings on a phone', () => {
  it('wrap instead of pushing the page sideways', async () => {
    const report = sampleReport();
    const token = `https://example.com/${'a'.repeat(160)}`;
    const [checkout, accounts] = report.stacks as [StackReport, StackReport];
    checkout.reasons = [`${checkout.reasons[0]} ${token}`];
    checkout.metrics[0]!.label = `latency_${'b'.repeat(90)}`;
    checkout.events.deployments!.items[0]!.title = token;
    accounts.name = `accounts-${'c'.repeat(80)}`;
    const { html } = await renderHtml(report, { images: 'inline' });

    // Control: without the word-break rules the same strings do push the page sideways.
    const unguarded = html.replace(/word-break:\s*break-word;?/g, '');

    const wrapped = await open(html, viewports[0]);
    await wrapped.page.close();
    const overflowing = await open(unguarded, viewports[0]);
    await overflowing.page.close();

    expect(wrapped.findings.text).toContain('a'.repeat(20));
    expect(wrapped.findings.scrollWidth).toBeLessThanOrEqual(wrapped.findings.innerWidth);
    expect(overflowing.findings.scrollWidth).toBeGreaterThan(overflowing.findings.innerWidth);
  });
});
