/**
 * `scrumops doctor`: with the real credentials, check each source, run every stack's queries once over
 * the last hour, and check each channel without sending. The result is a list of checks; the CLI
 * prints one line each and exits 1 when any failed (tomorrow's report would be wrong or not arrive).
 */
import type { ResolvedConfig } from '../config/types';
import { checkChannels, type ChannelCheckDeps } from './channels';
import { checkQueries, type QueryCheckDeps } from './queries';
import { probeSource } from './sources';
import type { Check } from './types';

export { formatCheck, type Check, type CheckStatus } from './types';
export { doctorRangeMs } from './queries';

export type DoctorDeps = QueryCheckDeps & ChannelCheckDeps;

export async function runDoctor(config: ResolvedConfig, deps: DoctorDeps): Promise<Check[]> {
  const used = new Set(config.stacks.flatMap((s) => s.metrics.map((m) => m.source)));
  const sourceChecks = await Promise.all(
    config.sources.map((source) => probeSource(source, config.dir, deps, deps.signal)),
  );
  const failedSources = new Set(
    config.sources.filter((_, i) => sourceChecks[i]!.some((c) => c.status === 'fail')).map((s) => s.id),
  );
  const unused = config.sources
    .filter((s) => !used.has(s.id))
    .map((s): Check => ({
      status: 'warn',
      subject: `source ${s.id}`,
      detail: 'no metric uses it',
      fix: 'remove it, or point a metric at it with `source:`',
    }));
  const [queries, channels] = await Promise.all([
    checkQueries(config, deps, failedSources),
    checkChannels(config, deps),
  ]);
  // What loading the config warned about (a literal secret, tls.insecure) is a check like any other.
  const configWarnings = config.warnings.map((w): Check => ({
    status: 'warn',
    subject: 'config',
    detail: w,
  }));
  return [...configWarnings, ...sourceChecks.flat(), ...unused, ...queries, ...channels];
}
