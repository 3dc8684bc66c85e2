/**
 * Deployments and alerts from GET /api/v2/events, a bounded number of pages per search, each event
 * handed to the stack(s) its search was made for.
 */
import type { SourceEvent } from '../types';
import type { EventUnit } from './query-plan';
import { DatadogCallError, type DatadogSession } from './session';
import { eventsListResponseSchema, type EventItem } from './schema';

/** Largest page the events API serves. */
export const eventPageSize = 1000;
/** Pages per search: 10,000 events over the look-back is far beyond what a stack's report shows. */
export const maxEventPages = 10;

export interface EventFetchOptions {
  start: number;
  end: number;
  appUrl?: string;
}

export interface EventsOutcome {
  events: SourceEvent[];
  /** True when the page bound stopped the search before its end. */
  truncated: boolean;
}

function eventTime(item: EventItem): number | undefined {
  const ts = item.attributes?.timestamp;
  if (ts instanceof Date && !Number.isNaN(ts.getTime())) return ts.getTime();
  if (typeof ts === 'string' && !Number.isNaN(Date.parse(ts))) return Date.parse(ts);
  const inner = item.attributes?.attributes?.timestamp;
  return typeof inner === 'number' && Number.isFinite(inner) ? inner : undefined;
}

function eventTitle(item: EventItem): string {
  const title = item.attributes?.attributes?.title;
  const text =
    (typeof title === 'string' && title.trim()) ||
    item.attributes?.message
      ?.split('\n')
      .find((line) => line.trim())
      ?.trim() ||
    `event ${item.id ?? ''}`.trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** Does the event carry `key:value` (a tag, or for `@a.b` an attribute path)? */
function carries(item: EventItem, key: string, value: string): boolean {
  const wanted = `${key.replace(/^@/, '')}:${value}`.toLowerCase();
  if ((item.attributes?.tags ?? []).some((t) => t.toLowerCase() === wanted)) return true;
  let node: unknown = item.attributes?.attributes;
  for (const part of key.replace(/^@/, '').split('.')) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return typeof node === 'string' && node.toLowerCase() === value.toLowerCase();
}

/** Every event of one search, page after page up to the bound, routed to its stacks. */
export async function fetchEventUnit(
  session: DatadogSession,
  unit: EventUnit,
  o: EventFetchOptions,
): Promise<EventsOutcome> {
  const events: SourceEvent[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < maxEventPages; page++) {
    const response = await session.call(
      'list-events',
      (apis) =>
        apis.events.listEvents({
          filterQuery: unit.query,
          filterFrom: String(o.start),
          filterTo: String(o.end),
          sort: 'timestamp',
          pageLimit: eventPageSize,
          pageCursor: cursor,
        }),
      (result) => {
        const parsed = eventsListResponseSchema.safeParse(result);
        if (!parsed.success) throw new DatadogCallError('body', 'unreadable answer: not an events page');
        return parsed.data;
      },
    );
    for (const item of response.data) {
      const at = eventTime(item);
      if (at === undefined || at < o.start || at >= o.end) continue;
      const id = item.id ?? `${at}:${eventTitle(item)}`;
      const url =
        o.appUrl && item.id ? `${o.appUrl}/event/explorer?event=${encodeURIComponent(item.id)}` : undefined;
      for (const target of unit.targets) {
        if (unit.groupKey && target.value !== undefined && !carries(item, unit.groupKey, target.value))
          continue;
        const key = `${target.stackId}\u0000${id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        events.push({
          stackId: target.stackId,
          kind: unit.kind,
          at,
          title: eventTitle(item),
          ...(url ? { url } : {}),
        });
      }
    }
    cursor = response.meta?.page?.after ?? undefined;
    if (!cursor || response.data.length === 0) return { events, truncated: false };
  }
  return { events, truncated: true };
}
