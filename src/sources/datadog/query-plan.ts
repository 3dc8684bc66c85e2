/**
 * Turning a SourcePlan into the fewest Datadog requests. Pure: no I/O, no clock.
 *
 * - A template whose members differ only in one tag value (`service:{{service}}`) becomes one query
 *   grouped `by {service}` over `service IN (a, b, …)`; Datadog answers one series per value and
 *   `group_tags` tells which member each belongs to.
 * - Any other template falls back to one plain query per distinct filled query.
 * - Queries are then packed several to a request, because /api/v2/query/timeseries takes many.
 */
import type { EventKind, EventQuery, QueryGroup, QueryMember } from '../types';

/** Datadog returns at most this many points a series. */
export const maxPointsPerSeries = 1500;

/** Rollup intervals Datadog itself uses, in seconds; we ask for the finest that fits the point limit. */
const niceIntervalsSec = [60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 14400, 21600, 43200, 86400];

/** Tag values per grouped query: keeps the query string and the answer of one query reasonable. */
export const maxValuesPerGroupedQuery = 100;
/** Queries per v2 request. */
export const maxQueriesPerRequest = 20;
/** Series per v2 request (each ~1,500 points): bounds the size of one answer. */
export const maxSeriesPerRequest = 400;
/** Tag values OR-ed into one grouped events query. */
export const maxValuesPerEventQuery = 50;

/** A tag value we can put in an `IN (…)` list or an `OR` group without quoting. */
const plainTagValue = /^[A-Za-z0-9_./-]+$/;
const tagKey = /^[A-Za-z0-9_./-]+$/;
const placeholder = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const marker = '\u0000';

/**
 * The finest nice interval (ms) that keeps [start, end) within the point limit. One more bucket than
 * span/interval is allowed for, because Datadog aligns buckets to the interval, not to `start`.
 */
export function chooseIntervalMs(start: number, end: number, maxPoints = maxPointsPerSeries): number {
  const spanSec = Math.max(1, (end - start) / 1000);
  for (const sec of niceIntervalsSec) if (Math.ceil(spanSec / sec) + 1 <= maxPoints) return sec * 1000;
  return Math.ceil(spanSec / (maxPoints - 1)) * 1000;
}

/** Who gets a series from a unit: a member, and for a grouped query the tag value that picks it. */
export interface UnitTarget {
  member: QueryMember;
  /** Lower-cased tag value (grouped units only). */
  tagValue?: string;
}

/** One Datadog query and the members it feeds. */
export interface MetricUnit {
  query: string;
  /** Set for a grouped query: the tag whose value (in `group_tags`) picks the member. */
  groupKey?: string;
  targets: UnitTarget[];
  /** Series Datadog should return: the number of distinct values, or 1. */
  expectedSeries: number;
}

interface ScopeTemplate {
  head: string;
  otherTerms: string[];
  key: string;
  tail: string;
  /** Extracts the tag value from a member's filled query. */
  valueOf: (query: string) => string | undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Recognise `aggr:metric{…, key:{{var}}, …}.fn(…)` with exactly one placeholder used as one tag's
 * value, no existing `by`, and no function wrapped around the metric. Anything else: undefined, and the
 * group is fetched as plain queries (always correct, just more queries).
 */
export function analyseTemplate(template: string): ScopeTemplate | undefined {
  const found = [...template.matchAll(placeholder)];
  if (found.length !== 1) return undefined;
  const masked = template.replace(placeholder, marker);
  const m = /^([^{}()\s][^{}()]*)\{([^{}]*)\}((?:\.[A-Za-z_]+\([^()]*\))*)\s*$/.exec(masked);
  if (!m) return undefined;
  const [, head = '', scope = '', tail = ''] = m;
  if (head.includes(marker) || /\s/.test(head.trim())) return undefined;
  const terms = scope.split(',').map((t) => t.trim());
  let key: string | undefined;
  const otherTerms: string[] = [];
  for (const term of terms) {
    if (term.includes(marker)) {
      const k = term.slice(0, -marker.length - 1);
      if (key !== undefined || !term.endsWith(`:${marker}`) || !tagKey.test(k)) return undefined;
      key = k;
    } else if (term === '*' || term === '') {
      continue;
    } else if (/[\s()]/.test(term)) {
      // Already boolean syntax inside a comma list, which Datadog rejects anyway: leave it alone.
      return undefined;
    } else {
      // Datadog refuses `!`/`,` mixed with AND/IN, so the comma form is rewritten into the word form.
      otherTerms.push(term.startsWith('!') ? `NOT ${term.slice(1)}` : term);
    }
  }
  if (key === undefined) return undefined;
  const pattern = new RegExp(`^${escapeRegExp(masked).replace(marker, '(.+?)')}$`);
  return {
    head: head.trim(),
    otherTerms,
    key,
    tail,
    valueOf: (query) => pattern.exec(query)?.[1],
  };
}

/** The grouped query for some values: `head{other AND key IN (a, b)} by {key}tail`. */
export function groupedQuery(t: ScopeTemplate, values: readonly string[]): string {
  const filter = [...t.otherTerms, `${t.key} IN (${values.join(', ')})`].join(' AND ');
  return `${t.head}{${filter}} by {${t.key}}${t.tail}`;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every metric member of the plan, as grouped queries where possible and plain queries otherwise. */
export function planMetricUnits(groups: readonly QueryGroup[]): MetricUnit[] {
  const units: MetricUnit[] = [];
  const plain = new Map<string, MetricUnit>();
  const addPlain = (member: QueryMember) => {
    let unit = plain.get(member.query);
    if (!unit) {
      unit = { query: member.query, targets: [], expectedSeries: 1 };
      plain.set(member.query, unit);
      units.push(unit);
    }
    unit.targets.push({ member });
  };

  for (const group of groups) {
    const t = analyseTemplate(group.template);
    const byValue = new Map<string, QueryMember[]>();
    for (const member of group.members) {
      const value = t?.valueOf(member.query);
      if (value === undefined || !plainTagValue.test(value)) {
        addPlain(member);
        continue;
      }
      const key = value.toLowerCase();
      byValue.set(key, [...(byValue.get(key) ?? []), member]);
    }
    if (!t || byValue.size < 2) {
      // One value: the query as the user wrote it is already a single request.
      for (const members of byValue.values()) members.forEach(addPlain);
      continue;
    }
    for (const values of chunk([...byValue.keys()], maxValuesPerGroupedQuery)) {
      units.push({
        query: groupedQuery(t, values),
        groupKey: t.key,
        targets: values.flatMap((v) => (byValue.get(v) ?? []).map((member) => ({ member, tagValue: v }))),
        expectedSeries: values.length,
      });
    }
  }
  return units;
}

/** A grouped unit as the plain queries it stands for: the fallback when Datadog refuses the grouped one. */
export function ungroup(unit: MetricUnit): MetricUnit[] {
  const plain = new Map<string, MetricUnit>();
  for (const { member } of unit.targets) {
    const u = plain.get(member.query) ?? { query: member.query, targets: [], expectedSeries: 1 };
    u.targets.push({ member });
    plain.set(member.query, u);
  }
  return [...plain.values()];
}

/** Pack units into requests: few requests, each within the query and series caps. */
export function packBatches(units: readonly MetricUnit[]): MetricUnit[][] {
  const batches: MetricUnit[][] = [];
  let current: MetricUnit[] = [];
  let series = 0;
  for (const unit of units) {
    const full = current.length >= maxQueriesPerRequest || series + unit.expectedSeries > maxSeriesPerRequest;
    if (current.length > 0 && full) {
      batches.push(current);
      current = [];
      series = 0;
    }
    current.push(unit);
    series += unit.expectedSeries;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The v1 endpoint has no interval parameter: the rollup goes into the query. A query with its own
 * rollup keeps it; counts (`.as_count()`) are summed per bucket, everything else averaged.
 */
export function withRollup(query: string, intervalMs: number): string {
  if (/\.rollup\(/.test(query)) return query;
  const method = /\.as_count\(\)/.test(query) ? 'sum' : 'avg';
  return `${query}.rollup(${method}, ${Math.round(intervalMs / 1000)})`;
}

/** One events search and the stacks whose events it returns. */
export interface EventUnit {
  kind: EventKind;
  query: string;
  /** Set for a grouped search: the tag (or `@attribute`) whose value picks the stack. */
  groupKey?: string;
  targets: { stackId: string; value?: string }[];
}

const eventTerm = /^(@?[A-Za-z0-9_./-]+):([^\s():"*]+)$/;

/**
 * Event searches that differ only in one `key:value` term (`source:deploy service:checkout-api`,
 * `source:deploy service:cart`) become one search with `service:(checkout-api OR cart)`; returned
 * events go to the stack whose value is in the event's tags or attributes. Queries with quotes or
 * parentheses are searched as written.
 */
export function planEventUnits(queries: readonly EventQuery[]): EventUnit[] {
  const units: EventUnit[] = [];
  const kinds = [...new Set(queries.map((q) => q.kind))];
  for (const kind of kinds) {
    const ofKind = queries.filter((q) => q.kind === kind);
    // Identical searches are made once, whatever else happens.
    const byQuery = new Map<string, string[]>();
    for (const q of ofKind) byQuery.set(q.query, [...(byQuery.get(q.query) ?? []), q.stackId]);

    // For every search, the signatures it could be grouped under (one per key:value term).
    const signatures = new Map<string, { tokens: string[]; index: number }[]>();
    const options = new Map<string, { sig: string; tokens: string[]; index: number }[]>();
    for (const query of byQuery.keys()) {
      const tokens = query.trim().split(/\s+/);
      const mine: { sig: string; tokens: string[]; index: number }[] = [];
      if (!/["()]/.test(query)) {
        tokens.forEach((token, index) => {
          const m = eventTerm.exec(token);
          if (!m) return;
          const sig = tokens.map((tok, i) => (i === index ? `${m[1]}:${marker}` : tok)).join(' ');
          mine.push({ sig, tokens, index });
          signatures.set(sig, [...(signatures.get(sig) ?? []), { tokens, index }]);
        });
      }
      options.set(query, mine);
    }
    // Each search joins its largest candidate group.
    const chosen = new Map<string, string[]>();
    for (const [query, mine] of options) {
      let best: string | undefined;
      for (const o of mine) {
        if (best === undefined || (signatures.get(o.sig)?.length ?? 0) > (signatures.get(best)?.length ?? 0))
          best = o.sig;
      }
      const sig =
        best !== undefined && (signatures.get(best)?.length ?? 0) > 1 ? best : `plain${marker}${query}`;
      chosen.set(sig, [...(chosen.get(sig) ?? []), query]);
    }
    for (const [sig, members] of chosen) {
      if (sig.startsWith(`plain${marker}`) || members.length < 2) {
        for (const query of members)
          units.push({ kind, query, targets: (byQuery.get(query) ?? []).map((stackId) => ({ stackId })) });
        continue;
      }
      const parsed = members.map((query) => {
        const tokens = query.trim().split(/\s+/);
        const index = sig.split(' ').findIndex((tok) => tok.endsWith(`:${marker}`));
        const [key = '', value = ''] = eventTerm.exec(tokens[index] ?? '')?.slice(1) ?? [];
        return { query, tokens, index, key, value };
      });
      const first = parsed[0];
      if (!first) continue;
      for (const part of chunk(parsed, maxValuesPerEventQuery)) {
        const values = [...new Set(part.map((p) => p.value))];
        const tokens = first.tokens.map((tok, i) =>
          i === first.index ? `${first.key}:(${values.join(' OR ')})` : tok,
        );
        units.push({
          kind,
          query: tokens.join(' '),
          groupKey: first.key,
          targets: part.flatMap((p) =>
            (byQuery.get(p.query) ?? []).map((stackId) => ({ stackId, value: p.value })),
          ),
        });
      }
    }
  }
  return units;
}
