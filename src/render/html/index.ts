/**
 * The HTML report and email digest: MJML templates filled from the Report, compiled with mjml. One
 * renderer serves both uses:
 * - `images: 'cid'` for email: sparklines rendered to PNG (mail clients do not show SVG), referenced as
 *   `cid:` and returned as attachments, and the HTML kept under a size budget (Gmail clips messages
 *   over ~102 KB) by showing the least urgent detailed stacks in short form when a day needs it;
 * - `images: 'inline'` for report.html: sparklines embedded as SVG data: URIs, so the file opens anywhere.
 */
import mjml2html from 'mjml';
import { formatValue } from '../../report/format';
import type { MetricReport, Report, StackReport } from '../../report/types';
import { deployBarsSize, deployBarsSvg, sparklineSize, sparklineSvg, svgToPng } from '../charts';
import {
  buildDocument,
  chartAlt,
  deliveryAlt,
  detailCandidates,
  type ChartPicture,
  verdictStyle,
} from './document';
import { TZDate } from '@date-fns/tz';
import type { DeliveryTally } from '../../report/types';
import { usableZone } from '../../report/format';

export { escapeHtml, safeHref, linkOrText } from './escape';

export interface HtmlImage {
  /** Content-ID without angle brackets; the HTML refers to it as `cid:<cid>`. */
  cid: string;
  filename: string;
  content: Buffer;
}

export interface RenderHtmlOptions {
  /** 'inline': data: URIs (report.html); 'cid': attachments referenced by cid: (email). */
  images: 'inline' | 'cid';
  /** Who this copy is for, e.g. "team payments"; shown under the title. */
  audience?: string;
  /**
   * Largest size of the HTML part as it travels (quoted-printable encoded, which adds ~10%) before
   * detailed stacks are shortened; cid mode only, the file has no limit. Default 100,000 bytes:
   * under Gmail's ~102 KB clipping.
   */
  sizeBudget?: number;
  /**
   * What to say about a bad stack's post-mortem starter ("attached (postmortem-….md)"), shown with
   * its details; undefined: nothing.
   */
  postmortemNote?: (stack: StackReport) => string | undefined;
  /** MJML validation; tests use 'strict'. Default 'soft' so a report always renders. */
  validationLevel?: 'strict' | 'soft';
}

export interface RenderedHtml {
  html: string;
  /** Inline attachments for 'cid' mode (empty in 'inline' mode). */
  images: HtmlImage[];
  /** Stacks shown in short form to fit the size budget (0 on a normal day). */
  shortened: number;
}

export const defaultSizeBudget = 100_000;
/** Detailed stacks built to learn what one costs in an email's size budget. */
const probeStacks = 8;
/** Calendar rows in an email; report.html shows every stack. */
const emailCalendarRows = 15;

/**
 * Bytes the HTML takes once quoted-printable encoded for email (RFC 2045: `=XX` for '=' and every
 * non-ASCII byte, soft line breaks every 76 characters, CRLF line ends): the size a mail client sees.
 */
export function quotedPrintableSize(html: string): number {
  let size = 0;
  let line = 0;
  const bytes = Buffer.from(html, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x0a) {
      size += 2;
      line = 0;
      continue;
    }
    const width = (byte >= 32 && byte <= 126 && byte !== 61) || byte === 9 ? 1 : 3;
    if (line + width > 75) {
      size += 3;
      line = 0;
    }
    size += width;
    line += width;
  }
  return size;
}

/** Compile MJML to HTML and fold whitespace runs (pure indentation) into one newline. */
export async function compileMjml(
  mjml: string,
  validationLevel: 'strict' | 'soft' = 'soft',
): Promise<string> {
  const result = await mjml2html(mjml, { validationLevel, keepComments: false, fonts: {}, beautify: false });
  // A run of whitespace that holds a newline renders exactly like a single newline (no <pre> here).
  return result.html.replace(/\n\s+/g, '\n');
}

function fileSafe(text: string): string {
  return (
    text
      .replace(/[^a-zA-Z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'metric'
  );
}

/**
 * Pictures already drawn, by the metric they show. One run renders report.html, the whole-fleet email
 * and each team's email from the same report object: each chart is drawn once, not three times.
 * Weak: a report that is no longer used takes its pictures with it.
 */
const drawn = new WeakMap<MetricReport, { timezone: string; svg: string | null; png?: Buffer }>();

/**
 * Charts of the detailed stacks. The SVG is built when the document asks for a picture; the PNG
 * (the slow part) only for pictures the final document uses, however often it is rebuilt to fit.
 */
class Charts {
  private readonly entries = new Map<MetricReport, Entry | null>();
  private readonly used = new Set<MetricReport>();
  private next = 1;

  constructor(
    private readonly report: Report,
    private readonly mode: 'inline' | 'cid',
  ) {}

  picture = (stack: StackReport, metric: MetricReport): ChartPicture | null => {
    let entry = this.entries.get(metric);
    if (entry === undefined) {
      entry = this.prepare(stack, metric);
      this.entries.set(metric, entry);
    }
    if (!entry) return null;
    this.used.add(metric);
    // report.html opens in a browser, which draws SVG itself: no PNG to render, a third of the bytes.
    const src =
      this.mode === 'cid'
        ? `cid:${entry.cid}`
        : `data:image/svg+xml;base64,${Buffer.from(entry.svg).toString('base64')}`;
    return { src, alt: entry.alt, ...sparklineSize };
  };

  private prepare(stack: StackReport, metric: MetricReport): Entry | null {
    if (!metric.chart) return null;
    const timezone = usableZone(this.report.window.timezone);
    let picture = drawn.get(metric);
    if (picture?.timezone !== timezone) {
      const svg = sparklineSvg(metric.chart, metric.episodes, {
        label: metric.label,
        timezone,
        formatValue: (v) => formatValue(v, metric.unit),
        ...(metric.verdict === 'bad' || metric.verdict === 'good'
          ? { color: verdictStyle[metric.verdict].fg }
          : {}),
      });
      picture = { timezone, svg };
      drawn.set(metric, picture);
    }
    const { svg } = picture;
    if (svg === null) return null;
    return {
      metric,
      svg,
      cid: `chart-${this.next++}@scrumops`,
      filename: `${fileSafe(stack.id)}-${fileSafe(metric.id)}.png`,
      alt: chartAlt(metric, timezone),
    };
  }

  private png(entry: Entry): Buffer {
    const picture = drawn.get(entry.metric);
    if (picture?.svg === entry.svg) return (picture.png ??= svgToPng(entry.svg));
    entry.png ??= svgToPng(entry.svg);
    return entry.png;
  }

  /** Start a rebuild: only pictures the next document uses are returned as images. */
  reset(): void {
    this.used.clear();
  }

  images(): HtmlImage[] {
    const out: HtmlImage[] = [];
    for (const [metric, entry] of this.entries) {
      if (entry && this.used.has(metric))
        out.push({ cid: entry.cid, filename: entry.filename, content: this.png(entry) });
    }
    return out;
  }
}

interface Entry {
  metric: MetricReport;
  svg: string;
  cid: string;
  filename: string;
  alt: string;
  png?: Buffer;
}

/**
 * The delivery section's bar charts, one per row, drawn once per render (a handful: the fleet and each
 * team), whatever the size fitting does to the stacks.
 */
function deliveryCharts(report: Report, mode: 'inline' | 'cid') {
  const tz = usableZone(report.window.timezone);
  const labels = (report.delivery?.days ?? []).map((d) => String(new TZDate(Date.parse(d), tz).getDate()));
  const pictures = new Map<number, { picture: ChartPicture; image: HtmlImage } | null>();
  const chart = (row: number, tally: DeliveryTally): ChartPicture | null => {
    let entry = pictures.get(row);
    if (entry === undefined) {
      const svg = deployBarsSvg(tally.perDay, { labels });
      entry = null;
      if (svg !== null) {
        const content = svgToPng(svg);
        const cid = `deploys-${row + 1}@scrumops`;
        const src = mode === 'cid' ? `cid:${cid}` : `data:image/png;base64,${content.toString('base64')}`;
        entry = {
          picture: { src, alt: deliveryAlt(tally), ...deployBarsSize },
          image: { cid, filename: `deploys-${row + 1}.png`, content },
        };
      }
      pictures.set(row, entry);
    }
    return entry?.picture ?? null;
  };
  const images = () => [...pictures.values()].flatMap((e) => (e ? [e.image] : []));
  return { chart, images };
}

/** Render the report as HTML: the email digest ('cid') or the self-contained report.html ('inline'). */
export async function renderHtml(report: Report, options: RenderHtmlOptions): Promise<RenderedHtml> {
  const charts = new Charts(report, options.images);
  const deploys = deliveryCharts(report, options.images);
  const budget = options.images === 'cid' ? (options.sizeBudget ?? defaultSizeBudget) : Infinity;
  const candidates = detailCandidates(report).length;
  let normalNames = true;
  const build = async (detailLimit: number) => {
    charts.reset();
    const mjml = buildDocument(report, {
      detailLimit,
      chart: charts.picture,
      calendarLimit: options.images === 'cid' ? emailCalendarRows : Infinity,
      ...(options.postmortemNote ? { postmortemNote: options.postmortemNote } : {}),
      deliveryChart: deploys.chart,
      normalNames,
      ...(options.audience ? { audience: options.audience } : {}),
    });
    return compileMjml(mjml, options.validationLevel);
  };
  const size = (html: string) => Math.max(Buffer.byteLength(html, 'utf8'), quotedPrintableSize(html));

  let limit = candidates;
  // A big fleet's bad day is not built in full first: hundreds of detailed stacks and their charts,
  // only to cut most of them. What one detailed stack costs is learnt from a few.
  const sampleFirst = budget !== Infinity && candidates > probeStacks;
  let html = sampleFirst ? '' : await build(limit);
  if (budget !== Infinity && (sampleFirst || size(html) > budget)) {
    // Shorten the least urgent detailed stacks until it fits; a fleet whose normal stacks' names
    // alone pass the budget counts them per team instead.
    let bare = size(await build(0));
    if (bare > budget) {
      normalNames = false;
      bare = size(await build(0));
    }
    // The full build, when it was made as it will be again, tells what a detailed stack costs.
    const reuse = !sampleFirst && normalNames;
    const sample = reuse ? candidates : Math.min(candidates, probeStacks);
    const perStack =
      sample === 0 ? 1 : Math.max(1, ((reuse ? size(html) : size(await build(sample))) - bare) / sample);
    limit = Math.min(candidates, Math.max(0, Math.floor((budget - bare) / perStack)));
    html = await build(limit);
    while (size(html) > budget && limit > 0) {
      limit = Math.max(0, limit - Math.max(1, Math.ceil((size(html) - budget) / perStack)));
      html = await build(limit);
    }
  }
  return {
    html,
    images: options.images === 'cid' ? [...charts.images(), ...deploys.images()] : [],
    shortened: candidates - limit,
  };
}
