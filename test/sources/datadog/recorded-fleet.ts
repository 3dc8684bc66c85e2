/**
 * A small recorded fleet for the end-to-end test: the same points written as files for the `file`
 * source and served by the fake Datadog, so that any difference in the reports is the adapter's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Point } from '../../../src/sources/types';
import type { FakeDatadog } from './fake-datadog';
import { e2eConfigText } from '../../support/e2e-config';

export const stacks = ['checkout', 'payments', 'search', 'notifications', 'auth', 'catalog', 'inventory'];
export const metricIds = ['latency_p95', 'error_rate', 'throughput', 'cpu'] as const;
type MetricId = (typeof metricIds)[number];
/** Report time: 2026-01-15 09:00 Europe/Berlin. */
export const reportTime = Date.UTC(2026, 0, 15, 8, 0, 0);
/** What the adapter asks Datadog for over 8 days, and so the spacing of the recorded points. */
const stepMs = 600_000;
const hour = 3600_000;
const day = 24 * hour;

/** Deterministic noise in [-1, 1). */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

/**
 * Nine days of 10-minute points with a daily cycle and noise, and in the current window: checkout's
 * latency 60% up, payments' errors down to a third, a 2-hour latency episode in search, and auth's
 * CPU mostly missing.
 */
function recorded(stack: string, metric: MetricId): Point[] {
  const k = stacks.indexOf(stack);
  const m = metricIds.indexOf(metric);
  const base = {
    latency_p95: 0.2 + 0.02 * k,
    error_rate: 0.5 + 0.1 * k,
    throughput: 100 + 20 * k,
    cpu: 40 + 3 * k,
  }[metric];
  const points: Point[] = [];
  for (let t = reportTime - 9 * day; t < reportTime; t += stepMs) {
    const current = t >= reportTime - day;
    let v =
      base * (1 + 0.2 * Math.sin((2 * Math.PI * t) / day) + 0.03 * noise(t / stepMs + 1000 * k + 100 * m));
    if (current && stack === 'checkout' && metric === 'latency_p95') v *= 1.6;
    if (current && stack === 'payments' && metric === 'error_rate') v /= 3;
    if (
      stack === 'search' &&
      metric === 'latency_p95' &&
      t >= reportTime - 6 * hour &&
      t < reportTime - 4 * hour
    )
      v *= 3;
    points.push([t, current && stack === 'auth' && metric === 'cpu' && t < reportTime - 3 * hour ? null : v]);
  }
  return points;
}

const metricDefs = {
  latency_p95: { unit: 's', direction: 'lower', aggregation: 'mean', critical: true },
  error_rate: { unit: '%', direction: 'lower', aggregation: 'mean', slo: { max: 2 }, critical: true },
  throughput: { unit: 'req/s', direction: 'neutral', aggregation: 'mean' },
  cpu: { unit: '%', direction: 'lower', aggregation: 'p95', slo: { max: 90 } },
};

export function configText(
  source: object,
  query: (metric: MetricId) => string,
  events: (stack: string) => string,
): string {
  return e2eConfigText({ stacks, metrics: metricDefs }, source, query, events);
}

/** Write every series and deployment list under `dir` and load the same into `fake`. */
export function recordFleet(dir: string, fake: FakeDatadog): void {
  const byName = new Map<string, Point[]>();
  for (const [k, stack] of stacks.entries()) {
    mkdirSync(join(dir, stack));
    for (const m of metricIds) {
      const points = recorded(stack, m);
      byName.set(`scrumops.${m}|${stack}`, points);
      writeFileSync(join(dir, stack, `${m}.json`), JSON.stringify(points));
    }
    // Deployments every (k+1) days, one of them 20 days back (outside the 14-day look-back).
    const deployments = [
      reportTime - 20 * day,
      ...Array.from({ length: Math.floor(14 / (k + 1)) }, (_, i) => reportTime - (i * (k + 1) + 0.5) * day),
    ];
    const lines = deployments.map((at, i) => `${new Date(at).toISOString()},${stack} v1.${i}`);
    writeFileSync(join(dir, stack, 'deployments.csv'), ['timestamp,title', ...lines].join('\n'));
    deployments.forEach((at, i) =>
      fake.events.push({
        id: `${stack}-${i}`,
        at,
        title: `${stack} v1.${i}`,
        tags: ['source:deploy', `service:${stack}`],
      }),
    );
  }
  fake.seriesData = (metric, group) => byName.get(`${metric}|${group}`);
}
