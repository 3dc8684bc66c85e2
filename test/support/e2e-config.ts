/**
 * The config text the "same verdicts as the file source" tests share: one source called `data`, every
 * metric on every stack, stacks templated by `{{service}}`, optional deployment events.
 */
export interface E2eFleet<M extends string, S extends string> {
  stacks: readonly S[];
  metrics: Record<M, object>;
}

export function e2eConfigText<M extends string, S extends string>(
  fleet: E2eFleet<M, S>,
  source: object,
  query: (metric: M) => string,
  events?: (stack: S) => string,
): string {
  const metricIds = Object.keys(fleet.metrics) as M[];
  return JSON.stringify({
    report: {
      title: 'e2e',
      timezone: 'Europe/Berlin',
      at: '09:00',
      window: '24h',
      baseline: { mode: 'daily', days: 7 },
    },
    sources: [{ id: 'data', ...source }],
    metrics: Object.fromEntries(
      metricIds.map((m) => [m, { label: m, source: 'data', query: query(m), ...fleet.metrics[m] }]),
    ),
    stacks: fleet.stacks.map((id) => ({
      id,
      vars: { service: id },
      metrics: metricIds,
      ...(events ? { events: { deployments: { source: 'data', query: events(id) } } } : {}),
    })),
  });
}
