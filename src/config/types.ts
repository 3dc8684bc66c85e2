/** The config after parsing and template expansion: what the rest of scrumops reads. */
import type { Aggregation, DeliveryConfig, Direction, SourceConfig } from './schema';

export interface Thresholds {
  minCoverage: number;
  minBaselineWindows: number;
  score: number;
  minChange: number;
  episodeScore: number;
  episodeMinChange: number;
  episodeMinMinutes: number;
  episodeMargin: number;
  spikeMargin: number;
  sustainedScore: number;
  sustainedMinChange: number;
  sustainedMinMinutes: number;
}

/** One metric of one stack, its template filled with the stack's vars. */
export interface MetricSpec {
  id: string;
  label: string;
  source: string;
  /** The query with {{var}}s filled in. */
  query: string;
  /** The query as written in the template, before filling; stacks sharing it can be fetched together. */
  template: string;
  /** The stack's vars the template used, e.g. { service: 'checkout-api' }. */
  vars: Record<string, string>;
  unit: string;
  direction: Direction;
  aggregation: Aggregation;
  /** `interval`: 0 is arbitrary, judged on absolute deviation only (no relative test). Default ratio. */
  scale?: 'ratio' | 'interval';
  /** This metric's own baseline mode, when it differs from the report's. */
  baselineMode?: 'daily' | 'weekly';
  slo?: { min?: number; max?: number };
  /** The range a reading can take; readings outside it are invalid and left out. */
  min?: number;
  max?: number;
  critical: boolean;
  weight: number;
  thresholds: Thresholds;
}

export interface EventQuerySpec {
  source: string;
  /** The query with {{var}}s filled in (for incidents: the PagerDuty service id). */
  query: string;
  /** The query as written, and the stack's vars it used. */
  template: string;
  vars: Record<string, string>;
}

export interface StackSpec {
  id: string;
  name: string;
  team?: string;
  vars: Record<string, string>;
  metrics: MetricSpec[];
  links: Record<string, string>;
  /** How long before a metric's onset a deployment or alert is linked to it (report.deployLink or the stack's own). */
  deployLinkMs: number;
  events: { deployments?: EventQuerySpec; alerts?: EventQuerySpec; incidents?: EventQuerySpec };
}

export interface ReportSettings {
  title: string;
  timezone: string;
  /** Local wall-clock time the window ends, "HH:MM". */
  at: string;
  /** Window length as written, e.g. "24h". */
  window: string;
  baseline: { mode: 'daily' | 'weekly'; days: number; exclude: string[] };
  thresholds: Thresholds;
  /** Most points one series may bring (report.maxPointsPerSeries). */
  maxPointsPerSeries?: number;
  /** Duration as written, e.g. "2h" (the default); each stack has it resolved as `deployLinkMs`. */
  deployLink?: string;
  /** Report times in the health calendar, today's included (report.history; 1: none). */
  history?: number;
}

export interface ResolvedConfig {
  /** Absolute path of the config file; relative paths inside it are relative to its folder. */
  path: string;
  dir: string;
  report: ReportSettings;
  sources: SourceConfig[];
  stacks: StackSpec[];
  delivery: DeliveryConfig;
  /** Secret values read from ${VAR}s, so that every output can be scrubbed of them. */
  secrets: string[];
  /** Non-fatal remarks, e.g. a literal secret-looking value. */
  warnings: string[];
}
