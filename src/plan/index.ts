/**
 * Planning: which series and events to ask each source for, grouped by template so that an adapter
 * can fetch every stack sharing a template in one request, over one range that covers the current
 * window and every baseline window of every report time at once.
 */
import type { StackSpec } from '../config/types';
import { eventKinds, type EventQuery, type QueryGroup, type SourcePlan } from '../sources/types';
import type { ReportWindows } from './windows';

export const eventLookBackMs = 14 * 24 * 3600 * 1000;

/** One fetch range for many report times: from the oldest baseline start to the newest report time. */
export function fetchRange(allWindows: readonly ReportWindows[]): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const w of allWindows) {
    for (const b of [w.current, ...w.baselines]) start = Math.min(start, b.start);
    end = Math.max(end, w.current.end);
  }
  return { start, end };
}

/** A plan per source id, only for sources that something uses. */
export function planSources(
  stacks: readonly StackSpec[],
  range: { start: number; end: number },
  eventsFrom: number,
  /** Sources that tell who is on call: planned even when no metric or event uses them. */
  onCallSources: readonly string[] = [],
): Map<string, SourcePlan> {
  const teams = [...new Set(stacks.flatMap((s) => (s.team ? [s.team] : [])))];
  const plans = new Map<string, SourcePlan>();
  const planFor = (sourceId: string): SourcePlan => {
    let plan = plans.get(sourceId);
    if (!plan) {
      plan = {
        start: range.start,
        end: range.end,
        groups: [],
        eventsStart: Math.min(eventsFrom, range.start),
        events: [],
        teams,
      };
      plans.set(sourceId, plan);
    }
    return plan;
  };
  const groupIndex = new Map<string, QueryGroup>();
  for (const stack of stacks) {
    for (const metric of stack.metrics) {
      const key = `${metric.source}\u0000${metric.template}`;
      let group = groupIndex.get(key);
      if (!group) {
        group = { template: metric.template, members: [] };
        groupIndex.set(key, group);
        planFor(metric.source).groups.push(group);
      }
      group.members.push({ stackId: stack.id, metricId: metric.id, query: metric.query, vars: metric.vars });
    }
    for (const kind of eventKinds) {
      const q = stack.events[kind];
      if (q) {
        planFor(q.source).events.push({
          stackId: stack.id,
          kind,
          query: q.query,
          template: q.template,
          vars: q.vars,
        } satisfies EventQuery);
      }
    }
  }
  for (const id of onCallSources) if (teams.length > 0) planFor(id);
  return plans;
}
