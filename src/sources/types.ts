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

export type EventKind = 'deployments' | 'alerts' | 'incidents';

export const eventKinds: readonly EventKind[] = ['deployments', 'alerts', 'incidents'];

export interface EventQuery {
  stackId: string;
  kind: EventKind;
  /** The filled query; for incidents, the PagerDuty service id. */
  query: string;
  /** The query as written before filling, and the vars that filled it: stacks sharing it may be asked together. */
  template?: string;
  vars?: Record<string, string>;
}

export interface SourceEvent {
  stackId: string;
  kind: EventKind;
  /** epoch ms (an incident: when it was triggered) */
  at: number;
  title: string;
  url?: string;
  /** Incidents: PagerDuty's urgency. */
  urgency?: 'high' | 'low';
  /** Incidents: when it was resolved (epoch ms); absent while it is open. */
  resolvedAt?: number;
}

/** Who is on call for one team at the report time, or why that is not known. */
export interface OnCall {
  team: string;
  /** Display names only: never a phone number or an email address. */
  names: string[];
  /** The schedule or escalation policy asked, as its name (or id). */
  of?: string;
  /** Set when it could not be found out; the names are then empty. */
  error?: string;
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
  /** Teams of the reported stacks: whose on-call a source that knows it (pagerduty) should tell. */
  teams?: string[];
}

/** A query that failed; only the metrics it feeds become unknown. */
export interface QueryFailure {
  stackId: string;
  metricId: string;
  error: string;
}

/** An event search that failed: that stack's count of that kind is unknown, never zero. */
export interface EventFailure {
  stackId: string;
  kind: EventKind;
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
  /** Event searches that failed (none when absent): their stacks' counts show as unknown. */
  eventFailures?: EventFailure[];
  health: SourceHealth;
  /**
   * Milliseconds spent turning answers into series (inside the fetch's wall time), where the adapter
   * can tell; the bench and --verbose show it as its own phase.
   */
  parseMs?: number;
  /** On-call per team, from sources that know it. */
  onCall?: OnCall[];
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
