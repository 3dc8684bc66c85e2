/**
 * `scrumops validate` reads every data file a config names, so that a missing, unreadable or malformed
 * file (or a link out of the source's folder) is said up front, with the same words a report would use.
 */
import type { ResolvedConfig } from '../../config/types';
import { UsageError } from '../../errors';
import { readEventsFile, readSeriesFile } from '.';

export function checkDataFiles(config: ResolvedConfig): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string | undefined>();
  const check = (
    at: string,
    sourceId: string,
    query: string,
    read: typeof readSeriesFile | typeof readEventsFile,
  ) => {
    const source = config.sources.find((s) => s.id === sourceId);
    if (source?.type !== 'file') return;
    const key = `${sourceId}\u0000${query}`;
    if (!seen.has(key)) {
      try {
        read(source, config.dir, query);
        seen.set(key, undefined);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        seen.set(key, error.message.replace(/^source "[^"]*": /, ''));
      }
    }
    const problem = seen.get(key);
    if (problem) problems.push(`${at}: ${problem}`);
  };
  config.stacks.forEach((stack, si) => {
    stack.metrics.forEach((metric, mi) =>
      check(`stacks[${si}].metrics[${mi}] (${metric.id})`, metric.source, metric.query, readSeriesFile),
    );
    for (const kind of ['deployments', 'alerts'] as const) {
      const q = stack.events[kind];
      if (q) check(`stacks[${si}].events.${kind}`, q.source, q.query, readEventsFile);
    }
  });
  return problems;
}
