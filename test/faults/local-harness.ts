/**
 * The local half of the fault suite (issue 10): a small workspace (config + CSV files under a temp dir),
 * a run of the real `report`/`validate` commands in process with the CLI's own stderr logger and
 * scrubbing, and the checks every case makes — exit code, which files exist and are complete, which
 * stacks are unknown and why, bounded time, and that no secret nor any 8-character piece of one
 * appears in stdout, stderr or any file.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { reportCommand, validateCommand, type CliEnv, type ReportOptions } from '../../src/cli/commands';
import { stderrLogger } from '../../src/cli/logger';
import { exitCodeFor } from '../../src/cli/main';
import { redact } from '../../src/report/redact';
import type { Report } from '../../src/report/types';

/** Report time of every case: 09:00 UTC on 26 Nov 2026. */
export const reportTime = Date.parse('2026-11-26T09:00:00Z');
const hour = 3_600_000;
/** Hourly rows over the window and 4 baseline days: 120 rows a file. */
const rows = 120;

export function csv(value: (i: number) => number | string = (i) => 40 + (i % 24)): string {
  const lines = Array.from({ length: rows }, (_, i) => {
    const at = new Date(reportTime - (rows - i) * hour).toISOString();
    return `${at},${value(i)}`;
  });
  return `timestamp,value\n${lines.join('\n')}\n`;
}

export interface Workspace {
  dir: string;
  out: string;
  write(relative: string, text: string | Buffer): void;
  path(relative: string): string;
  cleanup(): void;
}

export interface ConfigParts {
  /** Extra YAML under `report:` (indented by the caller with 2 spaces). */
  report?: string;
  /** File source options (YAML lines, 4 spaces). */
  fileSource?: string;
  /** Extra sources (YAML list items, 2 spaces). */
  sources?: string;
  /** The `err` metric of stack web: its file and extra keys. */
  errFile?: string;
  errExtra?: string;
  /** Extra keys on stack web (4 spaces). */
  webExtra?: string;
  /** Extra metric refs on stack api. */
  apiMetrics?: string;
  /** The whole `delivery:` block. */
  delivery?: string;
}

export function configYaml(p: ConfigParts = {}): string {
  return `report:
  title: Faults
  timezone: UTC
  at: "09:00"
  window: 24h
  baseline: { mode: daily, days: 3 }
${p.report ?? ''}
sources:
  - id: rec
    type: file
    dir: data
${p.fileSource ?? ''}
${p.sources ?? ''}
metrics:
  cpu: { source: rec, query: "{{name}}/cpu.csv", unit: "%", direction: lower }
stacks:
  - id: web
    name: Web
    vars: { name: web }
    metrics:
      - cpu
      - { id: err, source: rec, query: "${p.errFile ?? 'web/err.csv'}", unit: "%" ${p.errExtra ?? ''} }
${p.webExtra ?? ''}
  - id: api
    name: API
    vars: { name: api }
    metrics: [cpu${p.apiMetrics ?? ''}]
${p.delivery ?? 'delivery: { githubSummary: false }'}
`;
}

/** A workspace with healthy data for every metric; cases break what they test. */
export function workspace(parts: ConfigParts = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'scrumops-faults-'));
  const ws: Workspace = {
    dir,
    out: join(dir, 'out'),
    path: (relative) => join(dir, relative),
    write(relative, text) {
      const path = join(dir, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  ws.write('data/web/cpu.csv', csv());
  ws.write(
    'data/web/err.csv',
    csv((i) => 1 + (i % 3) / 10),
  );
  ws.write('data/api/cpu.csv', csv());
  ws.write('scrumops.yaml', configYaml(parts));
  return ws;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A CliEnv as the bin builds it: the CLI's stderr logger and stdout, both scrubbed of the config's secrets. */
function cliEnv(ws: Workspace, env: Record<string, string>, extra: Partial<CliEnv>) {
  const out: string[] = [];
  const err: string[] = [];
  const secrets: string[] = [];
  const cli: CliEnv = {
    env,
    now: () => reportTime + 30 * 60_000,
    logger: stderrLogger('normal', (t) => err.push(t), false, secrets),
    stdout: (text) => out.push(redact(text, secrets)),
    cwd: ws.dir,
    secrets,
    ...extra,
  };
  return { cli, out, err, secrets };
}

async function run(
  ws: Workspace,
  command: (cli: CliEnv) => Promise<number> | number,
  env: Record<string, string>,
  extra: Partial<CliEnv>,
): Promise<RunResult> {
  const { cli, out, err, secrets } = cliEnv(ws, env, extra);
  const started = Date.now();
  let code: number;
  try {
    code = await command(cli);
  } catch (error) {
    code = exitCodeFor(error, 'normal', (t) => err.push(redact(t, secrets)));
  }
  return { code, stdout: out.join(''), stderr: err.join(''), ms: Date.now() - started };
}

export function runReport(
  ws: Workspace,
  options: Partial<ReportOptions> = {},
  env: Record<string, string> = {},
  extra: Partial<CliEnv> = {},
): Promise<RunResult> {
  return run(
    ws,
    (cli) =>
      reportCommand(
        {
          config: 'scrumops.yaml',
          at: '2026-11-26',
          stack: [],
          out: 'out',
          send: false,
          dryRun: false,
          ...options,
        },
        cli,
      ),
    env,
    extra,
  );
}

export function runValidate(ws: Workspace, env: Record<string, string> = {}): Promise<RunResult> {
  return run(ws, (cli) => validateCommand({ config: 'scrumops.yaml' }, cli), env, {});
}

/** Every file under `dir`, recursively, as text. */
export function filesUnder(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const [p, t] of filesUnder(path)) found.set(p, t);
    else found.set(path, readFileSync(path, 'latin1'));
  }
  return found;
}

/** The report files of a finished run: complete (parseable JSON, closed HTML) and no temporaries left. */
export function expectCompleteFiles(
  out: string,
  names = ['report.html', 'report.md', 'report.json', 'report.txt'],
) {
  const present = existsSync(out) ? readdirSync(out).sort() : [];
  expect(present.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  for (const name of names) expect(present).toContain(name);
  if (names.includes('report.json')) {
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(json.schemaVersion).toBe(1);
  }
  if (names.includes('report.html'))
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<\/html>\s*$/);
}

export function readReport(out: string): Report {
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
}

/** Stack id → reasons of its unknown metrics, for the stacks that ended unknown or hold unknown metrics. */
export function unknownMetrics(report: Report): Record<string, string> {
  const found: Record<string, string> = {};
  for (const s of report.stacks)
    for (const m of s.metrics) if (m.verdict === 'unknown') found[`${s.id}.${m.id}`] = m.reason;
  return found;
}

/** No secret, nor any 8-character piece of one, anywhere a run wrote. */
export function expectNoSecret(secrets: readonly string[], ...texts: string[]) {
  const everything = texts.join('\n');
  for (const secret of secrets) {
    expect(everything).not.toContain(secret);
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      if (everything.includes(piece)) throw new Error(`a piece of a secret leaked: "${piece}"`);
    }
  }
}

/** Everything a run left: stdout, stderr and every file in the workspace's out folder. */
export function everything(ws: Workspace, result: RunResult): string[] {
  return [result.stdout, result.stderr, ...filesUnder(ws.out).values()];
}

/** A hang guard, not a timing target (those live in `npm run bench`). */
export const boundMs = 20_000;
