/**
 * The CLI's commands as plain functions of plain options; main.ts only parses arguments and maps
 * errors to exit codes. Everything with a clock, the environment or the terminal is passed in here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load';
import type { ResolvedConfig } from '../config/types';
import { channelsFor, deliverAll } from '../deliver';
import { ConfigError, redact, UsageError } from '../errors';
import type { Logger } from '../logger';
import { sleep } from '../net/retry';
import { generateReports, selectStacks } from '../pipeline';
import { checkDataFiles } from '../sources/file/check';
import { latestReportTime, parseReportTime, reportTimesBetween } from '../plan/windows';
import { renderText } from '../render/text';
import { MergeError, mergeReports, type Shard } from '../report/merge';
import { cutText, flattenText, redactReport } from '../report/redact';
import { historyDays } from '../report/story/history';
import type { Report, Verdict } from '../report/types';
import { checkWritableFolder, describeFsError, FileWriteError } from '../atomic-write';
import { fileFormats, writePostmortemFiles, writeReportFiles, type FileFormat } from './files';
import { inPhase, type PhaseHost } from './phases';

export const exitCodes = { ok: 0, runtime: 1, usage: 2, failOn: 3 } as const;

export interface CliEnv extends PhaseHost {
  env: Record<string, string | undefined>;
  now: () => number;
  logger: Logger;
  stdout: (text: string) => void;
  cwd: string;
  /** Filled with the config's secrets once it is read, so that every output can be scrubbed of them. */
  secrets?: string[];
}

const defaultConfigPath = 'config/scrumops.yaml';

/** `printWarnings: false` for a caller that shows the config's warnings itself (doctor, as `!` lines). */
export function readConfig(
  path: string | undefined,
  cli: CliEnv,
  { printWarnings = true }: { printWarnings?: boolean } = {},
): ResolvedConfig {
  if (path === undefined && !existsSync(resolve(cli.cwd, defaultConfigPath))) {
    throw new ConfigError(
      `no config at ${defaultConfigPath}: copy config/scrumops.example.yaml there, pass --config FILE, or try the demo with \`npx scrumops report --config config/demo.yaml\``,
    );
  }
  const config = loadConfig(resolve(cli.cwd, path ?? defaultConfigPath), cli.env);
  cli.secrets?.push(...config.secrets);
  if (printWarnings) for (const w of config.warnings) cli.logger.warn(w);
  return config;
}

function runDeps(cli: CliEnv, signal?: AbortSignal) {
  return { logger: cli.logger, now: cli.now, sleep, random: Math.random, ...(signal ? { signal } : {}) };
}

export function parseFormats(text: string | undefined, fallback: readonly FileFormat[]): FileFormat[] {
  if (text === undefined) return [...fallback];
  const formats = text
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const bad = formats.filter((f) => !(fileFormats as readonly string[]).includes(f));
  if (bad.length > 0 || formats.length === 0) {
    throw new UsageError(`--format "${text}": expected a comma-separated list of ${fileFormats.join(', ')}`);
  }
  return formats as FileFormat[];
}

/**
 * Wall time per phase, printed with --verbose as one line (`timing: plan 3 ms (rss 90 MB) · …`) that
 * `npm run bench` reads. Parse time is part of fetch time: the adapter measures it inside its fetch.
 */
function phaseTimings(t0: number, cli: CliEnv) {
  const parts: string[] = [];
  return {
    started: t0,
    // With the resident memory when the phase ended: where a run's peak comes from.
    add: (phase: string, ms: number) =>
      void parts.push(
        `${phase} ${Math.round(ms)} ms (rss ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MB)`,
      ),
    report: () =>
      cli.logger.debug(`timing: ${[...parts, `total ${Math.round(cli.now() - t0)} ms`].join(' · ')}`),
  };
}

function failOnHeld(reports: readonly Report[], failOn: Verdict | undefined): boolean {
  if (!failOn) return false;
  return reports.some((r) => r.stacks.some((s) => s.verdict === failOn));
}

export interface ReportOptions {
  config?: string;
  at?: string;
  stack: string[];
  /** Only the stacks of these teams: one shard of a fleet (see `merge`). */
  team?: string[];
  out?: string;
  format?: string;
  send: boolean;
  dryRun: boolean;
  failOn?: 'bad' | 'unknown';
}

export async function reportCommand(options: ReportOptions, cli: CliEnv): Promise<number> {
  const t0 = cli.now();
  cli.phase?.('config');
  const config = readConfig(options.config, cli);
  const at =
    options.at !== undefined
      ? parseReportTime(options.at, config.report)
      : latestReportTime(config.report, cli.now());
  const formats = parseFormats(options.format, config.delivery.files?.formats ?? fileFormats);
  const outDir = resolve(cli.cwd, options.out ?? config.delivery.files?.dir ?? 'out');
  // An unknown --stack or --team is said before anything is created.
  selectStacks(config, options.stack, options.team ?? []);
  // Before fetching for minutes: a folder that cannot take files is a usage error now, not a lost run.
  await inPhase(cli, 'output check', () =>
    checkWritableFolder(outDir).catch((error: unknown) => {
      const why = describeFsError(error instanceof FileWriteError ? error.cause : error);
      throw new UsageError(`--out ${outDir}: cannot write there (${why})`);
    }),
  );
  const narrowed = (options.team ?? []).length > 0 ? ` (teams: ${options.team!.join(', ')})` : '';
  cli.logger.info(
    `plan: ${config.stacks.length} stacks${narrowed}, report time ${new Date(at).toISOString()}`,
  );

  const timings = phaseTimings(t0, cli);
  const { reports, allSourcesFailed } = await inPhase(cli, 'fetch', (signal) =>
    generateReports(
      config,
      {
        times: [at],
        historyDays: config.report.history ?? historyDays,
        stackIds: options.stack,
        teams: options.team ?? [],
        generatedAt: cli.now(),
      },
      { ...runDeps(cli, signal), onPhase: timings.add },
    ),
  );
  const report = redactReport(reports[0]!, config.secrets);
  return publish(report, config, { ...options, formats, allSourcesFailed }, cli, timings);
}

export interface PostmortemOptions {
  config?: string;
  at?: string;
  /** The stacks to write a starter for (at least one). */
  stack: string[];
  out?: string;
}

/**
 * `scrumops postmortem --stack ID [--at T]`: the post-mortem starter of a stack, written as
 * out/postmortem/<date>-<stack>.md whatever its verdict (a stack that is not bad says so in the file).
 * Reads the same config and sources as `report`, over the same fortnight, and writes nothing else.
 */
export async function postmortemCommand(options: PostmortemOptions, cli: CliEnv): Promise<number> {
  cli.phase?.('config');
  const config = readConfig(options.config, cli);
  if (options.stack.length === 0) throw new UsageError('postmortem: name a stack with --stack ID');
  const at =
    options.at !== undefined
      ? parseReportTime(options.at, config.report)
      : latestReportTime(config.report, cli.now());
  const outDir = resolve(cli.cwd, options.out ?? config.delivery.files?.dir ?? 'out');
  // An unknown stack is a usage error naming it, before anything is fetched or created.
  selectStacks(config, options.stack);
  await inPhase(cli, 'output check', () =>
    checkWritableFolder(outDir).catch((error: unknown) => {
      const why = describeFsError(error instanceof FileWriteError ? error.cause : error);
      throw new UsageError(`--out ${outDir}: cannot write there (${why})`);
    }),
  );
  const { reports, allSourcesFailed } = await inPhase(cli, 'fetch', (signal) =>
    generateReports(
      config,
      { times: [at], historyDays, stackIds: options.stack, generatedAt: cli.now() },
      runDeps(cli, signal),
    ),
  );
  const report = redactReport(reports[0]!, config.secrets);
  const written = await inPhase(cli, 'write files', () => writePostmortemFiles(report, outDir));
  for (const path of written) cli.stdout(`${path}\n`);
  if (allSourcesFailed) {
    cli.logger.warn('every source failed: the starter holds no metric of today');
    return exitCodes.runtime;
  }
  return exitCodes.ok;
}

export interface MergeOptions {
  config?: string;
  /** Folders holding a shard's report.json, or report.json files themselves. */
  shards: string[];
  out?: string;
  format?: string;
  send: boolean;
  dryRun: boolean;
  failOn?: 'bad' | 'unknown';
}

/** Read one shard: a folder with report.json, or the file itself. Any problem is one line, exit 2. */
function readShard(path: string, cli: CliEnv): Shard {
  const full = resolve(cli.cwd, path);
  let file = full;
  try {
    if (statSync(full).isDirectory()) file = join(full, 'report.json');
  } catch {
    throw new UsageError(`merge: ${path}: no such file or folder`);
  }
  const name = file === full ? path : join(path, 'report.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`merge: ${name}: missing (a shard folder must hold the report.json its run wrote)`);
  }
  try {
    return { name, json: JSON.parse(text) as unknown };
  } catch (error) {
    throw new UsageError(`merge: ${name}: not JSON (${flatten((error as Error).message)})`);
  }
}

/** A shard's name or a parser's complaint, as one printable line. */
const flatten = (text: string) => cutText(flattenText(text), 300);

/** `scrumops merge DIR…`: shard reports → one fleet report, written and delivered as `report` does. */
export async function mergeCommand(options: MergeOptions, cli: CliEnv): Promise<number> {
  const t0 = cli.now();
  const config = readConfig(options.config, cli);
  if (options.shards.length === 0) throw new UsageError('merge: name at least one shard folder');
  const formats = parseFormats(options.format, config.delivery.files?.formats ?? fileFormats);
  const timings = phaseTimings(t0, cli);
  const shards = options.shards.map((p) => readShard(p, cli));
  let merged: Report;
  try {
    merged = mergeReports(shards, { order: config.stacks.map((s) => s.id) });
  } catch (error) {
    if (error instanceof MergeError) throw new UsageError(`merge: ${flatten(error.message)}`);
    throw error;
  }
  timings.add('merge', cli.now() - t0);
  cli.logger.info(
    `merge: ${shards.length} shard${shards.length === 1 ? '' : 's'}, ${merged.stacks.length} stacks, window ending ${merged.window.end}`,
  );
  const report = redactReport(merged, config.secrets);
  const allSourcesFailed = report.sources.length > 0 && report.sources.every((s) => s.status === 'failed');
  return publish(report, config, { ...options, formats, allSourcesFailed }, cli, timings);
}

interface PublishOptions {
  out?: string;
  formats: FileFormat[];
  send: boolean;
  dryRun: boolean;
  failOn?: 'bad' | 'unknown';
  allSourcesFailed: boolean;
}

/** Files first, then the channels; the exit code from the worst outcome. Shared by report and merge. */
async function publish(
  report: Report,
  config: ResolvedConfig,
  options: PublishOptions,
  cli: CliEnv,
  timings: ReturnType<typeof phaseTimings>,
): Promise<number> {
  const outDir = resolve(cli.cwd, options.out ?? config.delivery.files?.dir ?? 'out');
  const renderStarted = cli.now();
  // A file that cannot be written is reported, and the channels are still tried: the report may
  // still reach people by mail or chat.
  let filesFailed = false;
  try {
    const written = await inPhase(cli, 'write files', () =>
      writeReportFiles(report, outDir, options.formats),
    );
    cli.logger.info(
      `files: ${written.length} written to ${outDir} in ${((cli.now() - timings.started) / 1000).toFixed(1)} s`,
    );
  } catch (error) {
    if (!(error instanceof FileWriteError)) throw error;
    filesFailed = true;
    cli.logger.warn(`files: ${error.message}; no report file was replaced`);
  }
  timings.add('render', cli.now() - renderStarted);
  cli.stdout(renderText(report, { detail: false }));

  let deliveryFailed = false;
  const deliverStarted = cli.now();
  if (options.send || options.dryRun) {
    const channels = channelsFor(config.delivery, { write: (line) => cli.stdout(`${line}\n`) });
    if (channels.length === 0) cli.logger.info('deliver: no channels configured');
    const results = await inPhase(cli, 'deliver', () =>
      deliverAll(channels, {
        report,
        outDir,
        dryRun: options.dryRun,
        env: cli.env,
        ...runDeps(cli),
        secrets: config.secrets,
      }),
    );
    // Channels say what they did; the runner repeats only failures, which decide the exit code.
    for (const r of results) {
      if (r.status === 'failed')
        cli.logger.warn(redact(`deliver: ${r.channel} FAILED: ${r.error}`, config.secrets));
      else cli.logger.debug(redact(`deliver: ${r.channel} ${r.status}: ${r.detail}`, config.secrets));
    }
    deliveryFailed = results.some((r) => r.status === 'failed');
    timings.add('deliver', cli.now() - deliverStarted);
  }
  timings.report();
  if (options.allSourcesFailed) {
    cli.logger.warn('every source failed: the report holds only unknown verdicts');
    return exitCodes.runtime;
  }
  if (deliveryFailed || filesFailed) return exitCodes.runtime;
  return failOnHeld([report], options.failOn) ? exitCodes.failOn : exitCodes.ok;
}

export interface BacktestOptions {
  config?: string;
  from: string;
  to: string;
  every: string;
  format: 'json' | 'table';
  stack: string[];
  team?: string[];
  failOn?: 'bad' | 'unknown';
}

export async function backtestCommand(options: BacktestOptions, cli: CliEnv): Promise<number> {
  cli.phase?.('config');
  const config = readConfig(options.config, cli);
  const from = parseReportTime(options.from, config.report, '--from');
  const to = parseReportTime(options.to, config.report, '--to');
  if (to < from) throw new UsageError(`--to ${options.to} is before --from ${options.from}`);
  const times = reportTimesBetween(from, to, options.every, config.report);
  cli.logger.info(`plan: ${times.length} report times, ${config.stacks.length} stacks`);
  const { reports, allSourcesFailed } = await inPhase(cli, 'fetch', (signal) =>
    generateReports(
      config,
      {
        times,
        historyDays: config.report.history ?? historyDays,
        stackIds: options.stack,
        teams: options.team ?? [],
        generatedAt: cli.now(),
      },
      runDeps(cli, signal),
    ),
  );
  if (options.format === 'json') {
    cli.stdout(`${JSON.stringify({ runs: reports.map((r) => redactReport(r, config.secrets)) })}\n`);
  } else {
    cli.stdout(backtestTable(reports));
  }
  if (allSourcesFailed) return exitCodes.runtime;
  return failOnHeld(reports, options.failOn) ? exitCodes.failOn : exitCodes.ok;
}

/** One row per report time, one column per stack: a verdict history a person can scan. */
export function backtestTable(reports: readonly Report[]): string {
  const ids = reports[0]?.stacks.map((s) => s.id) ?? [];
  const widths = ids.map((id) => Math.max(id.length, 7));
  const row = (first: string, cells: string[]) =>
    [first.padEnd(20), ...cells.map((c, i) => c.padEnd(widths[i]!))].join('  ').trimEnd();
  const lines = [row('report time (UTC)', ids)];
  for (const r of reports)
    lines.push(
      row(
        r.window.end.slice(0, 16).replace('T', ' '),
        r.stacks.map((s) => s.verdict),
      ),
    );
  const totals = { good: 0, normal: 0, bad: 0, unknown: 0 };
  for (const r of reports) for (const s of r.stacks) totals[s.verdict] += 1;
  lines.push(
    '',
    `${reports.length} runs: ${totals.bad} bad, ${totals.good} good, ${totals.normal} normal, ${totals.unknown} unknown`,
  );
  return `${lines.join('\n')}\n`;
}

export function validateCommand(options: { config?: string }, cli: CliEnv): number {
  const config = readConfig(options.config, cli);
  // The data files of file sources are part of what a run reads: a bad one is said now, not at 9:00.
  const dataProblems = checkDataFiles(config);
  if (dataProblems.length > 0) {
    const header = `${config.path}: ${dataProblems.length} data file problem${dataProblems.length === 1 ? '' : 's'}`;
    throw new ConfigError(`${header}\n  ${dataProblems.join('\n  ')}`, dataProblems);
  }
  const metrics = config.stacks.reduce((n, s) => n + s.metrics.length, 0);
  const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  cli.stdout(
    `${config.path}: ok — ${plural(config.sources.length, 'source')}, ${plural(config.stacks.length, 'stack')}, ${plural(metrics, 'metric')}\n`,
  );
  return exitCodes.ok;
}
