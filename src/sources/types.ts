/** What every metric source adapter implements and returns. Vendor shapes never leave an adapter. */
import type { Logger } from '../logger';

/** [epoch milliseconds, value]; null is a gap, never a zero. */
export type Point = [number, number | null];

export interface Series {
  stackId: string;
  metricId: string;
  points: Point[];
  /** Spacing of the points in ms as the provider reported it (e.g. Datadog's widened interval). */
  stepMs?: number;
}

/** One stack's use of a template: the filled query and the vars that filled it. */
export interface QueryMember {
  stackId: string;
  metricId: string;
  query: string;
  vars: Record<string, string>;
}

/** Every stack that uses the same template on one source; adapters may fetch a group in one request. */
export interface QueryGroup {
  template: string;
  members: QueryMember[];
}

export type EventKind = 'deployments' | 'alerts';

export interface EventQuery {
  stackId: string;
  kind: EventKind;
  query: string;
}

export interface SourceEvent {
  stackId: string;
  kind: EventKind;
  /** epoch ms */
  at: number;
  title: string;
  url?: string;
}

/** What to fetch from one source for one report (or one backtest). */
export interface SourcePlan {
  /** epoch ms, inclusive: the start of the oldest baseline window. */
  start: number;
  /** epoch ms, exclusive: the report time T (the latest T for a backtest). */
  end: number;
  groups: QueryGroup[];
  /** Events are wanted over [eventsStart, end): the window plus the last 14 days. */
  eventsStart: number;
  events: EventQuery[];
}

/** A query that failed; only the metrics it feeds become unknown. */
export interface QueryFailure {
  stackId: string;
  metricId: string;
  error: string;
}

export interface SourceHealth {
  id: string;
  type: string;
  status: 'ok' | 'partial' | 'failed';
  requests: number;
  retries: number;
  errors: string[];
}

export interface SourceResult {
  series: Series[];
  events: SourceEvent[];
  failures: QueryFailure[];
  health: SourceHealth;
  /**
   * Milliseconds spent turning answers into series (inside the fetch's wall time), where the adapter
   * can tell; the bench and --verbose show it as its own phase.
   */
  parseMs?: number;
}

export interface MetricSource {
  /** Config id of this source; appears in errors and in the report footer. */
  readonly id: string;
  /** Fetch every series and event in the plan. Never throws for one failing query: it reports it. */
  fetch(plan: SourcePlan, signal: AbortSignal): Promise<SourceResult>;
}

/** What an adapter may touch, injected so that tests pass plain values. */
export interface SourceContext {
  /** Folder of the config file; relative paths are resolved against it. */
  configDir: string;
  /** The report time (epoch ms); `align: now` in the file source shifts data to end here. */
  reportTime: number;
  logger: Logger;
  /** Wall clock for rate-limit and retry decisions. */
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}
