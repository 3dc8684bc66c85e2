/**
 * One fleet report from shard reports (`scrumops merge`): each shard is a `report.json` written by
 * `scrumops report --team …` for part of the fleet, all for the same window. Pure: the CLI reads the
 * files and turns a MergeError into one line and exit code 2.
 *
 * The merged report has the same schema as a single run's: stacks in config order (else shard order),
 * the summary counted again, sources with the same id added up.
 */
import { z } from 'zod';
import type { Report, SourceReport, StackReport, Verdict } from './types';
import { withDeliverySection } from './story/delivery';

/** A shard that cannot be merged; `shard` names the file. */
export class MergeError extends Error {
  constructor(
    readonly shard: string,
    message: string,
  ) {
    super(`${shard}: ${message}`);
    this.name = 'MergeError';
  }
}

/**
 * What a shard must hold to be merged. Loose: fields this version does not know (added by newer
 * versions or other issues) are kept as they are; only what merging reads is checked.
 */
const verdict = z.enum(['good', 'normal', 'bad', 'unknown']);
export const shardSchema = z.looseObject({
  schemaVersion: z.number(),
  title: z.string(),
  generatedAt: z.string(),
  window: z.looseObject({ start: z.string(), end: z.string(), timezone: z.string() }),
  baseline: z.looseObject({ mode: z.string(), days: z.number() }),
  summary: z.record(z.string(), z.number()),
  stacks: z.array(z.looseObject({ id: z.string(), verdict })),
  sources: z.array(
    z.looseObject({
      id: z.string(),
      type: z.string(),
      status: z.enum(['ok', 'partial', 'failed']),
      requests: z.number(),
      retries: z.number(),
      errors: z.array(z.string()),
    }),
  ),
});

export interface Shard {
  /** Where it came from, as the user named it: appears in every message about it. */
  name: string;
  /** The parsed JSON, not yet checked. */
  json: unknown;
}

/** Check one shard's shape; the first problem, with its path, in one line. */
export function checkShard(shard: Shard): Report {
  if (
    shard.json &&
    typeof shard.json === 'object' &&
    'schemaVersion' in shard.json &&
    shard.json.schemaVersion !== 1
  ) {
    throw new MergeError(
      shard.name,
      `schemaVersion ${JSON.stringify(shard.json.schemaVersion)}; this version of scrumops merges schemaVersion 1`,
    );
  }
  const parsed = shardSchema.safeParse(shard.json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join('.') : 'the top level';
    throw new MergeError(shard.name, `not a scrumops report: ${at}: ${issue.message}`);
  }
  // The shard as it was written: zod's copy would reorder keys, and report.json should read the same.
  return shard.json as Report;
}

const windowText = (r: Report) => `${r.window.start} – ${r.window.end} (${r.window.timezone})`;
const baselineText = (r: Report) => `${r.baseline.mode} × ${r.baseline.days}`;

/** Worst first: one failing shard makes the source partial, all failing make it failed. */
function mergeSources(all: readonly SourceReport[][]): SourceReport[] {
  const byId = new Map<string, { merged: SourceReport; statuses: SourceReport['status'][] }>();
  for (const sources of all) {
    for (const s of sources) {
      const seen = byId.get(s.id);
      if (!seen) {
        byId.set(s.id, { merged: { ...s, errors: [...s.errors] }, statuses: [s.status] });
        continue;
      }
      seen.merged.requests += s.requests;
      seen.merged.retries += s.retries;
      for (const e of s.errors) if (!seen.merged.errors.includes(e)) seen.merged.errors.push(e);
      seen.statuses.push(s.status);
    }
  }
  return [...byId.values()].map(({ merged, statuses }) => ({
    ...merged,
    status: statuses.every((s) => s === 'ok')
      ? 'ok'
      : statuses.every((s) => s === 'failed')
        ? 'failed'
        : 'partial',
  }));
}

export interface MergeOptions {
  /** Stack ids in config order: the merged report lists stacks as a single run would. */
  order?: readonly string[];
}

/**
 * Merge checked shards. Every shard must share schemaVersion, window and baseline with the first; a
 * stack may appear in one shard only (overlapping shards would count it twice).
 */
export function mergeReports(shards: readonly Shard[], options: MergeOptions = {}): Report {
  if (shards.length === 0) throw new MergeError('merge', 'no shards given');
  const reports = shards.map(checkShard);
  const first = reports[0]!;
  const firstName = shards[0]!.name;
  const owner = new Map<string, string>();
  reports.forEach((r, i) => {
    const name = shards[i]!.name;
    if (windowText(r) !== windowText(first)) {
      throw new MergeError(
        name,
        `window ${windowText(r)} differs from ${firstName}'s ${windowText(first)}: shards must report the same --at`,
      );
    }
    if (baselineText(r) !== baselineText(first)) {
      throw new MergeError(
        name,
        `baseline ${baselineText(r)} differs from ${firstName}'s ${baselineText(first)}: shards must share one config`,
      );
    }
    for (const s of r.stacks) {
      const other = owner.get(s.id);
      if (other !== undefined) {
        throw new MergeError(name, `stack "${s.id}" is also in ${other}: shards must not overlap`);
      }
      owner.set(s.id, name);
    }
  });

  const rank = new Map((options.order ?? []).map((id, i) => [id, i]));
  const stacks: StackReport[] = reports
    .flatMap((r) => r.stacks)
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (rank.get(a.s.id) ?? Infinity) - (rank.get(b.s.id) ?? Infinity) || a.i - b.i)
    .map(({ s }) => s);
  const summary: Record<Verdict, number> = { good: 0, normal: 0, bad: 0, unknown: 0 };
  for (const s of stacks) summary[s.verdict] += 1;
  const generatedAt = reports.map((r) => r.generatedAt).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0]!;

  // The delivery section is added up again from the stacks of every shard.
  return withDeliverySection({
    ...first,
    generatedAt,
    summary,
    stacks,
    sources: mergeSources(reports.map((r) => r.sources)),
    ...mergeOnCall(reports),
  });
}

/** Each shard's on-call lines, once per team and source (shards split by team tell their own). */
function mergeOnCall(reports: readonly Report[]): Pick<Report, 'onCall'> {
  const seen = new Set<string>();
  const onCall = reports
    .flatMap((r) => r.onCall ?? [])
    .filter((o) => {
      const k = `${o.source}\u0000${o.team}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  return onCall.length > 0 ? { onCall } : { onCall: undefined };
}
