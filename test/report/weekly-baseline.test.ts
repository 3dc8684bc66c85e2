import { defaultThresholds } from '../../src/config/load';
import type { MetricSpec, ReportSettings, StackSpec } from '../../src/config/types';
import { reportWindows } from '../../src/plan/windows';
import { buildReport } from '../../src/report/build';
import type { Point } from '../../src/sources/types';

const dayMs = 86_400_000;
const settings: ReportSettings = {
  title: 'Weekly rhythm',
  timezone: 'UTC',
  at: '00:00',
  window: '24h',
  baseline: { mode: 'daily', days: 4, exclude: [] },
  thresholds: defaultThresholds,
};
// Monday 00:00 UTC: the window is Sunday 2026-11-29.
const at = Date.parse('2026-11-30T00:00:00Z');

/** 100 on weekdays, 30 at weekends, and today (a Sunday) as busy as a weekday. */
function points(): Point[] {
  const out: Point[] = [];
  for (let t = at - 40 * dayMs; t < at; t += 5 * 60_000) {
    const weekday = new Date(t).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const today = t >= at - dayMs;
    const ripple = 1 + 0.01 * Math.sin(t / 1_700_000);
    out.push([t, (today || !weekend ? 100 : 30) * ripple]);
  }
  return out;
}

function metric(over: Partial<MetricSpec>): MetricSpec {
  return {
    id: 'requests',
    label: 'requests',
    source: 'files',
    query: 'q',
    template: 'q',
    vars: {},
    unit: 'req/s',
    direction: 'neutral',
    aggregation: 'mean',
    critical: true,
    weight: 1,
    thresholds: defaultThresholds,
    ...over,
  };
}

function verdictOf(spec: MetricSpec) {
  const stack: StackSpec = {
    id: 'shop',
    name: 'Shop',
    vars: {},
    metrics: [spec],
    links: {},
    events: {},
    deployLinkMs: 2 * 3600000,
  };
  const report = buildReport({
    config: { report: settings } as Parameters<typeof buildReport>[0]['config'],
    stacks: [stack],
    windows: reportWindows(at, settings),
    data: {
      series: [{ stackId: 'shop', metricId: 'requests', points: points() }],
      events: [],
      failures: [],
      health: [],
    },
    generatedAt: at,
  });
  return report.stacks[0]!.metrics[0]!;
}

describe('a metric with its own weekly baseline', () => {
  it.each<[string, Partial<MetricSpec>, string, number]>([
    // [case, metric, verdict, baseline windows]
    ['daily (the report default): a Sunday as busy as the weekdays before it', {}, 'normal', 4],
    ['weekly: the same Sunday against the four Sundays before it', { baselineMode: 'weekly' }, 'bad', 4],
  ])('%s is %s', (_case, over, verdict, baselineWindows) => {
    const result = verdictOf(metric(over));

    expect(result).toMatchObject({ verdict, baselineWindows });
  });
});
