/**
 * Deployments and alerts linked to a metric's onset: an event at most `deployLink` before the onset
 * (never after it: what came later cannot have caused it) is linked, nearest first. Pure.
 */
import type { SourceEvent } from '../../sources/types';
import type { EventItem, EventSummary, LinkedEvent, MetricReport, StackReport } from '../types';
import { cutText, flattenText, stripUrlCredentials } from '../redact';
import { onsetOf } from './onset';
import { linkedReason } from './wording';

const minute = 60_000;

export function linkEvents(
  onsetMs: number,
  events: readonly SourceEvent[],
  deployLinkMs: number,
): LinkedEvent[] {
  return (
    events
      // Deployments and alerts only: an incident is what a change caused, not what preceded it.
      .filter((e) => e.kind === 'deployments' || e.kind === 'alerts')
      .filter((e) => Number.isFinite(e.at) && e.at <= onsetMs && onsetMs - e.at <= deployLinkMs)
      .sort((a, b) => b.at - a.at || a.title.localeCompare(b.title))
      .map((e) => ({
        kind: e.kind === 'deployments' ? 'deployment' : 'alert',
        // A server's title is outside text: one line, no control characters, bounded (as in the event lists).
        title: cutText(flattenText(e.title), 300),
        at: new Date(e.at).toISOString(),
        minutesBefore: Math.floor((onsetMs - e.at) / minute),
        ...(e.url ? { url: stripUrlCredentials(e.url) } : {}),
      }))
  );
}

/**
 * A metric with its onset and linked events, and its reason saying when the change began and after
 * which deployment. `events` are the stack's own, up to the report time.
 */
export function withOnsetAndLinks(
  metric: MetricReport,
  events: readonly SourceEvent[],
  deployLinkMs: number,
  timezone: string,
): MetricReport {
  const onset = onsetOf(metric);
  if (!onset) return metric;
  const linkedEvents = linkEvents(Date.parse(onset.at), events, deployLinkMs);
  return {
    ...metric,
    onset,
    linkedEvents,
    reason: linkedReason(metric.reason, onset, linkedEvents, timezone),
  };
}

/**
 * The stack's event lists with the events linked to an onset first, marked with the metrics they
 * preceded; a linked event from the hours before the window joins its list.
 */
export function linkedFirst(
  events: StackReport['events'],
  metrics: readonly MetricReport[],
  maxItems: number,
): StackReport['events'] {
  // Every kind is kept as it is (incidents too); deployments and alerts get their linked events first.
  const out: StackReport['events'] = { ...events };
  for (const [kind, singular] of [
    ['deployments', 'deployment'],
    ['alerts', 'alert'],
  ] as const) {
    const summary = events[kind];
    if (!summary) continue;
    const linked = new Map<string, EventItem>();
    for (const m of metrics) {
      for (const e of m.linkedEvents ?? []) {
        if (e.kind !== singular) continue;
        const id = `${e.at}\u0000${e.title}`;
        const item = linked.get(id) ?? {
          at: e.at,
          title: e.title,
          ...(e.url ? { url: e.url } : {}),
          linkedTo: [],
        };
        if (!item.linkedTo!.includes(m.label)) item.linkedTo!.push(m.label);
        linked.set(id, item);
      }
    }
    if (linked.size === 0) continue;
    const first = [...linked.values()].sort((a, b) => b.at.localeCompare(a.at));
    const rest = summary.items.filter((i) => !linked.has(`${i.at}\u0000${i.title}`));
    const merged: EventSummary = {
      ...summary,
      items: [...first, ...rest].slice(0, Math.max(maxItems, first.length)),
    };
    out[kind] = merged;
  }
  return out;
}
