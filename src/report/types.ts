/**
 * The JSON report, schemaVersion 1 (design §6). Every renderer reads only this; `report.json` is this
 * object as it is. Times are UTC ISO strings ending in Z; values are in the metric's own unit.
 */

import type { ChartData, Rule, Verdict } from '../classify/judgment';

export type { ChartData, Rule, Verdict };

export interface Episode {
  start: string;
  end: string;
  /** Most extreme value inside the episode. */
  peak: number;
  /** The usual (baseline median) value at the peak's time of day. */
  usual: number | null;
}

export interface MetricReport {
  id: string;
  label: string;
  unit: string;
  direction: 'lower' | 'higher' | 'neutral';
  aggregation: string;
  critical: boolean;
  weight: number;
  source: string;
  verdict: Verdict;
  /** The window's aggregate; null when there was no data. */
  current: number | null;
  /** Median of the baseline windows' aggregates. */
  baseline: number | null;
  /** Relative change (current − baseline) / |baseline|; null when the baseline is 0 or unknown. */
  change: number | null;
  /** Deviation score: (current − baseline) in units of the usual day-to-day spread (signed; not a plain MAD). */
  score: number | null;
  /** Share of the expected points the window holds, 0..1. */
  coverage: number;
  /** How many baseline windows had data. */
  baselineWindows: number;
  /** The aggregate of each baseline window that had data, newest first. */
  baselineValues?: number[];
  slo?: { min?: number; max?: number };
  /** Set when the series stopped well before the window's end: the verdict rests on older data. */
  noDataSince?: string;
  /** Readings outside the metric's declared min/max over the fetched range, left out as invalid. */
  invalidReadings?: number;
  /** The rule that decided (see Rule in src/classify/judgment.ts). */
  rule: Rule;
  episodes: Episode[];
  /** When the change began (bad or good verdicts): the first episode's start, else an estimate. */
  onset?: Onset;
  /** One line a person reads at a glance. */
  reason: string;
  /** The day's picture, on the metrics of bad and good stacks (the ones renderers draw). */
  chart?: ChartData;
  /** Deployments and alerts of the stack at most `deployLink` before the onset, nearest first. */
  linkedEvents?: LinkedEvent[];
}

export interface Onset {
  at: string;
  /** True when no episode marks the start and it was estimated from the day's shape ("since about 14:30"). */
  estimated: boolean;
}

export interface LinkedEvent {
  kind: 'deployment' | 'alert';
  title: string;
  at: string;
  /** Whole minutes from the event to the metric's onset (≥ 0). */
  minutesBefore: number;
  url?: string;
}

/** One report time of a stack's fortnight and the verdict the same rules gave then. */
export interface HistoryDay {
  at: string;
  verdict: Verdict;
}

/**
 * How today's verdict sits in the fortnight. `new`: bad today, not yesterday; `bad`: bad today and the
 * day(s) before (`days` in a row); `recovered`: bad yesterday, not today; `flapping`: bad on at least 3
 * of the last 7 days, not in a row.
 */
export interface Streak {
  kind: 'new' | 'bad' | 'recovered' | 'flapping';
  /** new, bad: bad days in a row ending today; flapping: bad days among the last 7; recovered: 0. */
  days: number;
  /** The day before the run has no verdict (no data then): the run may be longer than `days`. */
  unknownBefore?: boolean;
}

export interface EventItem {
  at: string;
  title: string;
  url?: string;
  /** Incidents: PagerDuty's urgency. */
  urgency?: 'high' | 'low';
  /** Incidents: when it was resolved; absent while it is open. */
  resolvedAt?: string;
  /** Labels of the metrics whose onset this event preceded within deployLink; such events are listed first. */
  linkedTo?: string[];
}

export interface EventSummary {
  /**
   * `ok`: the counts are facts. `failed`: the search failed, the counts are unknown (window and
   * last14d are then 0 and mean nothing; `error` says why). Absent in reports written before
   * this field existed, where it meant ok.
   */
  status?: 'ok' | 'failed';
  /** Why the search failed (one line, no secret). */
  error?: string;
  /** Events inside the current window. */
  window: number;
  /** Events over the last 14 days up to the report time. */
  last14d: number;
  /**
   * Events inside the window, newest first (at most a handful), after the events linked to an onset
   * (which may lie in the hours before the window).
   */
  items: EventItem[];
}

export interface StackReport {
  id: string;
  name: string;
  team?: string;
  verdict: Verdict;
  reasons: string[];
  metrics: MetricReport[];
  links: Record<string, string>;
  events: { deployments?: EventSummary; alerts?: EventSummary; incidents?: EventSummary };
  /** The last 14 report times, oldest first, today last: what `report --at` said (says) on each. */
  history?: HistoryDay[];
  /** Absent when there is nothing to say (not bad today, yesterday or often). */
  streak?: Streak;
  /** Deployments over the fortnight; absent for a stack with no deployment source (not counted as 0). */
  delivery?: StackDelivery;
}

/**
 * How one stack shipped over the report's fortnight: deployments per report day and how many were
 * followed by a bad stretch. An estimate of the change-failure rate from what the report already has:
 * a deploy counts as followed by a bad stretch when a metric of the stack that was bad on one of the
 * days began its change (its onset) at most `deployLink` after it — the same rule that links a deploy
 * to an onset in the reasons.
 */
export interface StackDelivery {
  /** `ok`: the counts are facts. `failed`: the deployment search failed; every count is unknown (0). */
  status: 'ok' | 'failed';
  /**
   * Deployments in each report day's window, oldest first, today last (the days of `history`); null
   * for a day whose report is missing. Empty when the search failed.
   */
  perDay: (number | null)[];
  /** Deployments over the days. */
  total: number;
  /** Of `total`, the deploys followed within `deployLink` by the onset of a bad metric of the stack. */
  followedByBad: number;
  /** The stack's deployLink, in minutes. */
  deployLinkMinutes: number;
}

/** Deployments of a group of stacks (a team, or the fleet) over the fortnight, added up. */
export interface DeliveryTally {
  /** Stacks counted: those with a deployment source whose search worked. */
  stacks: number;
  /** Ids of the stacks whose deployment search failed: the counts leave them out (partial). */
  unknownStacks: string[];
  /** Deployments per report day, oldest first, today last; null where a counted stack's day is missing. */
  perDay: (number | null)[];
  total: number;
  followedByBad: number;
  /** deployLink in minutes when every counted stack has the same one; absent when they differ. */
  deployLinkMinutes?: number;
}

/**
 * The delivery section: per team and for the whole report. Stacks without a deployment source are
 * left out (not counted as zero); stacks whose deployment search failed are named, never counted as 0.
 */
export interface DeliverySection {
  /** The report times of the days (`history[].at`), oldest first, today last. */
  days: string[];
  fleet: DeliveryTally;
  /** One per team with a counted or unknown stack, by team name; stacks without a team are in `fleet` only. */
  teams: (DeliveryTally & { team: string })[];
}

/** Who is on call for a team at the report time (names only), or why that is not known. */
export interface OnCallReport {
  team: string;
  /** The source id it came from. */
  source: string;
  status: 'ok' | 'unknown';
  /** Display names; empty when unknown or when nobody is on call. */
  names: string[];
  /** The schedule or escalation policy, by name (or id). */
  of?: string;
  /** Why it is unknown. */
  reason?: string;
}

export interface SourceReport {
  id: string;
  type: string;
  status: 'ok' | 'partial' | 'failed';
  requests: number;
  retries: number;
  errors: string[];
}

export interface Report {
  schemaVersion: 1;
  title: string;
  generatedAt: string;
  window: { start: string; end: string; timezone: string };
  baseline: { mode: 'daily' | 'weekly'; days: number; windows: { start: string; end: string }[] };
  summary: Record<Verdict, number>;
  stacks: StackReport[];
  sources: SourceReport[];
  /** Per team with an on-call source (pagerduty), in the order the source lists the teams. */
  onCall?: OnCallReport[];
  /** Deployments over the fortnight per team and in all; absent when no stack has a deployment source. */
  delivery?: DeliverySection;
}

export const verdictOrder: readonly Verdict[] = ['bad', 'unknown', 'good', 'normal'];
