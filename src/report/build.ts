/** Assemble the JSON report (design §6) from the config, the windows and what the sources returned. Pure. */
import { classifyMetric } from '../classify/metric';
import type { MetricJudgment } from '../classify/judgment';
import { stackVerdict } from '../classify/stack';
import type { MetricSpec, ResolvedConfig, StackSpec } from '../config/types';
import { eventLookBackMs } from '../plan';
import { reportWindows, type ReportWindows } from '../plan/windows';
import {
  eventKinds,
  type EventFailure,
  type OnCall,
  type QueryFailure,
  type Series,
  type SourceEvent,
  type SourceHealth,
} from '../sources/types';
import { columnsOfSeries, noColumns, type Columns } from '../sources/columns';
import { cutText, flattenText, safeText, stripUrlCredentials } from './redact';
import { linkedFirst, withOnsetAndLinks } from './story/links';
import type { EventSummary, MetricReport, OnCallReport, Report, StackReport, Verdict } from './types';
import { invalidReadingsText, metricReason, stackReasons } from './wording';

/** Everything fetched for a report (or a whole backtest), indexed for lookup. */
export interface FetchedData {
  series: Series[];
  events: SourceEvent[];
  failures: QueryFailure[];
  /** Event searches that failed: those stacks' counts are unknown. */
  eventFailures?: EventFailure[];
  health: SourceHealth[];
  /** On-call per team, with the id of the source that told. */
  onCall?: (OnCall & { source: string })[];
}

const maxEventItems = 5;
const iso = (t: number) => new Date(t).toISOString();
const key = (stackId: string, metricId: string) => `${stackId}\u0000${metricId}`;

export interface BuildInput {
  config: ResolvedConfig;
  stacks: readonly StackSpec[];
  windows: ReportWindows;
  data: FetchedData;
  generatedAt: number;
  /** False: no chart data in the metrics (a history's earlier days, which are never drawn). */
  charts?: boolean;
}

/**
 * Readings outside the metric's declared range (`min`/`max`) are impossible — an error rate of −40%
 * is a broken exporter, not an improvement — so they become gaps, never evidence for "good". Done once
 * per series: every report time of a history reads the same masked columns (and their caches).
 */
const masked = new WeakMap<Columns, { min: number; max: number; columns: Columns; invalid: number }>();

function withinRange(columns: Columns, spec: MetricSpec): { columns: Columns; invalid: number } {
  const { min = -Infinity, max = Infinity } = spec;
  if (min === -Infinity && max === Infinity) return { columns, invalid: 0 };
  const known = masked.get(columns);
  if (known && known.min === min && known.max === max) return known;
  let invalid = 0;
  const values = Float64Array.from(columns.values, (v) => {
    if (Number.isNaN(v) || (v >= min && v <= max)) return v;
    invalid++;
    return NaN;
  });
  const result = { min, max, columns: { times: columns.times, values }, invalid };
  masked.set(columns, result);
  return result;
}

function withInvalidNote(metric: MetricReport, invalid: number, spec: MetricSpec): MetricReport {
  const note = invalidReadingsText(invalid, spec.min, spec.max);
  return { ...metric, invalidReadings: invalid, reason: `${metric.reason} (${note})` };
}

/** A metric with its own baseline mode gets its own baseline windows (same current window), cut once per mode. */
export function metricWindows(
  config: Pick<ResolvedConfig, 'report'>,
  windows: ReportWindows,
): (spec: Pick<MetricSpec, 'baselineMode'>) => ReportWindows {
  const byMode = new Map<string, ReportWindows>([[config.report.baseline.mode, windows]]);
  return (spec) => {
    const mode = spec.baselineMode ?? config.report.baseline.mode;
    let w = byMode.get(mode);
    if (!w) {
      const settings = { ...config.report, baseline: { ...config.report.baseline, mode } };
      w = reportWindows(windows.current.end, settings);
      byMode.set(mode, w);
    }
    return w;
  };
}

export function buildReport({
  config,
  stacks,
  windows,
  data,
  generatedAt,
  charts = true,
}: BuildInput): Report {
  const series = new Map(data.series.map((s) => [key(s.stackId, s.metricId), s]));
  const failures = new Map(data.failures.map((f) => [key(f.stackId, f.metricId), f.error]));
  const { timezone } = config.report;
  const eventsByStack = new Map<string, SourceEvent[]>();
  for (const e of data.events) {
    const list = eventsByStack.get(e.stackId);
    if (list) list.push(e);
    else eventsByStack.set(e.stackId, [e]);
  }
  const windowsOf = metricWindows(config, windows);

  const stackReports = stacks.map((stack): StackReport => {
    // The stack's deployments and alerts known at the report time, for linking them to onsets.
    const stackEvents = (eventsByStack.get(stack.id) ?? []).filter((e) => e.at < windows.current.end);
    const metrics = stack.metrics.map((spec) => {
      const s = series.get(key(stack.id, spec.id));
      const failure =
        failures.get(key(stack.id, spec.id)) ??
        (s ? undefined : `source "${spec.source}" returned no series`);
      const { columns, invalid } = withinRange(s ? columnsOfSeries(s) : noColumns, spec);
      const judgment = classifyMetric({
        spec,
        columns,
        ...(s?.stepMs ? { stepMs: s.stepMs } : {}),
        windows: windowsOf(spec),
        chart: charts,
        ...(failure ? { failure } : {}),
      });
      const metric = metricReport(spec, judgment, timezone, windows.current.end);
      const noted = invalid === 0 ? metric : withInvalidNote(metric, invalid, spec);
      return withOnsetAndLinks(noted, stackEvents, stack.deployLinkMs, timezone);
    });
    const verdict = stackVerdict(metrics);
    return {
      id: stack.id,
      name: stack.name,
      ...(stack.team ? { team: stack.team } : {}),
      verdict,
      reasons: stackReasons(verdict, metrics),
      metrics: drawsCharts(verdict) ? metrics : metrics.map(withoutChart),
      links: stack.links,
      events: linkedFirst(
        summariseEvents(stack, eventsByStack.get(stack.id) ?? [], data.eventFailures ?? [], windows),
        metrics,
        maxEventItems,
      ),
    };
  });

  const summary: Record<Verdict, number> = { good: 0, normal: 0, bad: 0, unknown: 0 };
  for (const s of stackReports) summary[s.verdict] += 1;
  return {
    schemaVersion: 1,
    title: config.report.title,
    generatedAt: iso(generatedAt),
    window: { start: iso(windows.current.start), end: iso(windows.current.end), timezone },
    baseline: {
      mode: config.report.baseline.mode,
      days: config.report.baseline.days,
      windows: windows.baselines.map((w) => ({ start: iso(w.start), end: iso(w.end) })),
    },
    summary,
    stacks: stackReports,
    sources: data.health.map((h) => ({ ...h, errors: [...h.errors] })),
    ...(data.onCall && data.onCall.length > 0 ? { onCall: data.onCall.map(onCallReport) } : {}),
  };
}

function onCallReport(o: OnCall & { source: string }): OnCallReport {
  return {
    team: o.team,
    source: o.source,
    status: o.error ? 'unknown' : 'ok',
    // Names and reasons come from a server: one line each, no control characters, bounded.
    names: o.error ? [] : o.names.map((n) => cutText(flattenText(n), 80)),
    ...(o.of ? { of: cutText(flattenText(o.of), 80) } : {}),
    ...(o.error ? { reason: cutText(flattenText(o.error), 300) } : {}),
  };
}

/**
 * Renderers draw charts for bad and good stacks only (the detailed ones); the others' chart data would
 * only weigh down report.json (a 500-stack fleet: 17 MB instead of 3) and every copy of the report.
 */
export function drawsCharts(verdict: Verdict): boolean {
  return verdict === 'bad' || verdict === 'good';
}

function withoutChart(metric: MetricReport): MetricReport {
  if (!metric.chart) return metric;
  const rest = { ...metric };
  delete rest.chart;
  return rest;
}

/** A metric's judgment as the report carries it: ISO times, and the sentence that says it. */
export function metricReport(
  spec: MetricSpec,
  j: MetricJudgment,
  timezone: string,
  windowEnd: number,
): MetricReport {
  return {
    id: spec.id,
    label: spec.label,
    unit: spec.unit,
    direction: spec.direction,
    aggregation: spec.aggregation,
    critical: spec.critical,
    weight: spec.weight,
    source: spec.source,
    current: j.current,
    baseline: j.usual,
    change: j.change,
    score: j.score,
    coverage: j.coverage,
    baselineWindows: j.baselineWindows,
    baselineValues: j.baselineValues,
    ...(j.noDataSince !== undefined ? { noDataSince: iso(j.noDataSince) } : {}),
    ...(spec.slo ? { slo: spec.slo } : {}),
    verdict: j.verdict,
    rule: j.rule,
    episodes: j.episodes.map((e) => ({ start: iso(e.start), end: iso(e.end), peak: e.peak, usual: e.usual })),
    ...(j.onset ? { onset: { at: iso(j.onset.at), estimated: j.onset.estimated } } : {}),
    reason: metricReason(j, {
      label: spec.label,
      unit: spec.unit,
      timezone,
      windowEnd,
      ...(spec.slo ? { slo: spec.slo } : {}),
    }),
    ...(j.chart ? { chart: j.chart } : {}),
  };
}

function summariseEvents(
  stack: StackSpec,
  /** The stack's own events. */
  events: readonly SourceEvent[],
  eventFailures: readonly EventFailure[],
  windows: ReportWindows,
): StackReport['events'] {
  const out: StackReport['events'] = {};
  const { start, end } = windows.current;
  for (const kind of eventKinds) {
    if (!stack.events[kind]) continue;
    const failed = eventFailures.find((f) => f.stackId === stack.id && f.kind === kind);
    if (failed) {
      // A search that failed is not "0 deployments": the counts are unknown and say why.
      out[kind] = {
        status: 'failed',
        error: safeText(failed.error, [], 300),
        window: 0,
        last14d: 0,
        items: [],
      };
      continue;
    }
    const mine = events.filter((e) => e.kind === kind && e.at < end);
    const inWindow = mine.filter((e) => e.at >= start).sort((a, b) => b.at - a.at);
    const summary: EventSummary = {
      status: 'ok',
      window: inWindow.length,
      last14d: mine.filter((e) => e.at >= end - eventLookBackMs).length,
      items: inWindow.slice(0, maxEventItems).map((e) => ({
        at: iso(e.at),
        // A server's title is outside text: one line, no control characters, bounded.
        title: cutText(flattenText(e.title), 300),
        ...(e.url ? { url: stripUrlCredentials(e.url) } : {}),
        ...(e.urgency ? { urgency: e.urgency } : {}),
        ...(e.resolvedAt !== undefined ? { resolvedAt: iso(e.resolvedAt) } : {}),
      })),
    };
    out[kind] = summary;
  }
  return out;
}
