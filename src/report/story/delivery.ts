/**
 * How we ship: deployments per report day over the fortnight, per stack, per team and for the whole
 * report, and how many deploys were followed by a bad stretch — an estimate of the change-failure rate
 * from the data the report already has, with no state kept. Pure.
 *
 * A deploy counts as followed by a bad stretch when a metric of the same stack that was bad on one of
 * the days has its onset at most `deployLink` after the deploy: exactly the deploys the reasons already
 * name ("25 min after deploy checkout-api v2.41.0"). What the estimate cannot see: a deploy late on the
 * last day whose harm shows after the report time, harm that never made a metric bad, and deploys of
 * stacks without a deployment source (left out, not counted as zero).
 */
import type { DeliverySection, DeliveryTally, Report, StackDelivery, StackReport } from '../types';

const minute = 60_000;

/**
 * One stack's fortnight. `days` holds the stack as each day's report showed it, oldest first, today
 * last (undefined: that day's report is missing). Undefined when the stack has no deployment source.
 */
export function stackDelivery(
  days: readonly { stack: StackReport | undefined; window: { start: string; end: string } }[],
  deployLinkMs: number,
): StackDelivery | undefined {
  const today = days[days.length - 1]?.stack;
  const deployments = today?.events.deployments;
  if (!deployments) return undefined;
  const deployLinkMinutes = Math.round(deployLinkMs / minute);
  // One search covers the whole fortnight: when it failed, no day's count is known.
  if (deployments.status === 'failed')
    return { status: 'failed', perDay: [], total: 0, followedByBad: 0, deployLinkMinutes };
  const perDay = days.map(({ stack }) => {
    const summary = stack?.events.deployments;
    return summary && summary.status !== 'failed' ? summary.window : null;
  });
  const start = Math.min(...days.map((d) => Date.parse(d.window.start)));
  const end = Math.max(...days.map((d) => Date.parse(d.window.end)));
  // The deploys linked to the onset of a bad metric on any day, each counted once (a deploy may be
  // linked on two days, or to two metrics).
  const followed = new Set<string>();
  for (const { stack } of days) {
    for (const m of stack?.metrics ?? []) {
      if (m.verdict !== 'bad') continue;
      for (const e of m.linkedEvents ?? []) {
        const at = Date.parse(e.at);
        if (e.kind === 'deployment' && at >= start && at < end) followed.add(`${e.at}\u0000${e.title}`);
      }
    }
  }
  const total = perDay.reduce<number>((n, c) => n + (c ?? 0), 0);
  return {
    status: 'ok',
    perDay,
    total,
    followedByBad: Math.min(followed.size, total),
    deployLinkMinutes,
  };
}

/** The stacks' deliveries added up; `dayCount` days. */
export function tally(stacks: readonly StackReport[], dayCount: number): DeliveryTally {
  const counted = stacks.filter((s) => s.delivery?.status === 'ok');
  const perDay: (number | null)[] = Array.from({ length: dayCount }, (_, i) => {
    let sum = 0;
    for (const s of counted) {
      const c = s.delivery!.perDay[i];
      if (c === null || c === undefined) return null;
      sum += c;
    }
    return sum;
  });
  const links = new Set(counted.map((s) => s.delivery!.deployLinkMinutes));
  return {
    stacks: counted.length,
    unknownStacks: stacks.filter((s) => s.delivery?.status === 'failed').map((s) => s.id),
    perDay,
    total: counted.reduce((n, s) => n + s.delivery!.total, 0),
    followedByBad: counted.reduce((n, s) => n + s.delivery!.followedByBad, 0),
    ...(links.size === 1 ? { deployLinkMinutes: [...links][0]! } : {}),
  };
}

/**
 * The section for a report from its stacks' deliveries: the fleet and each team. Recomputed wherever
 * the stacks change (a team's email, a merge), so it always agrees with them. Undefined when no stack
 * has a deployment source.
 */
export function deliverySection(report: Pick<Report, 'stacks'>): DeliverySection | undefined {
  const withSource = report.stacks.filter((s) => s.delivery);
  if (withSource.length === 0) return undefined;
  const days = (withSource.find((s) => s.history?.length)?.history ?? []).map((d) => d.at);
  const dayCount = Math.max(days.length, ...withSource.map((s) => s.delivery!.perDay.length));
  const teams = [...new Set(withSource.flatMap((s) => (s.team ? [s.team] : [])))].sort((a, b) =>
    a.localeCompare(b),
  );
  return {
    days,
    fleet: tally(withSource, dayCount),
    teams: teams.map((team) => ({
      team,
      ...tally(
        withSource.filter((s) => s.team === team),
        dayCount,
      ),
    })),
  };
}

/** The report with the section recomputed from its stacks (removed when no stack has one). */
export function withDeliverySection(report: Report): Report {
  const section = deliverySection(report);
  const rest = { ...report };
  delete rest.delivery;
  return section ? { ...rest, delivery: section } : rest;
}

/**
 * Every stack's delivery from the reports of its fortnight, and the section. `times` are the earlier
 * report times (as in withHistory); `earlier` their reports; `deployLinkMs` each stack's deployLink.
 */
export function withDelivery(
  report: Report,
  times: readonly number[],
  earlier: ReadonlyMap<number, Report>,
  deployLinkMs: ReadonlyMap<string, number>,
): Report {
  const dayReports = times.map((t) => {
    const r = earlier.get(t);
    const end = new Date(t).toISOString();
    return {
      stacks: new Map(r ? r.stacks.map((s) => [s.id, s] as const) : []),
      window: r?.window ?? { start: end, end },
    };
  });
  const stacks = report.stacks.map((stack): StackReport => {
    const days = [
      ...dayReports.map((d) => ({ stack: d.stacks.get(stack.id), window: d.window })),
      { stack, window: report.window },
    ];
    const delivery = stackDelivery(days, deployLinkMs.get(stack.id) ?? 2 * 3_600_000);
    return delivery ? { ...stack, delivery } : stack;
  });
  return withDeliverySection({ ...report, stacks });
}
