/**
 * A real Prometheus for tests: history is backfilled with `promtool tsdb create-blocks-from
 * openmetrics`, then `prometheus` serves it on 127.0.0.1 from a temp dir. Needs the Debian
 * `prometheus` package (promtool included); `.ci/run` installs it.
 *
 * Traps this helper takes care of: OpenMetrics timestamps are in seconds, the file must end with
 * `# EOF`, samples must be in time order per series (others are dropped silently), and queries whose
 * end is more than 5 minutes after the last sample come back empty (pin `end` inside the data).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One series of history: epoch ms and value (NaN and ±Infinity allowed). */
export interface HistorySeries {
  metric: string;
  labels: Record<string, string>;
  points: [number, number][];
}

export interface RunningPrometheus {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  stop(): Promise<void>;
}

/** The OpenMetrics text promtool reads: families together, samples in time order, seconds, # EOF. */
export function toOpenMetrics(series: readonly HistorySeries[]): string {
  const byMetric = new Map<string, HistorySeries[]>();
  for (const s of series) byMetric.set(s.metric, [...(byMetric.get(s.metric) ?? []), s]);
  const lines: string[] = [];
  for (const [metric, family] of byMetric) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const s of family) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
        .join(',');
      const name = labels ? `${metric}{${labels}}` : metric;
      for (const [at, value] of [...s.points].sort((a, b) => a[0] - b[0])) {
        lines.push(`${name} ${formatValue(value)} ${at / 1000}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** A port nobody listens on right now: bind port 0, read it, release it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Backfill `series` and start Prometheus on it. Call `stop()` in afterAll. */
export async function startPrometheus(series: readonly HistorySeries[]): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'scrumops-prom-'));
  const data = join(dir, 'data');
  const input = join(dir, 'history.om');
  const config = join(dir, 'prometheus.yml');
  const text = toOpenMetrics(series);
  await writeFile(config, 'scrape_configs: []\n');
  try {
    await cp(await backfilled(text, input), data, { recursive: true });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `promtool could not backfill (is the Debian "prometheus" package installed?): ${String(error)}`,
    );
  }

  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      '--storage.tsdb.path',
      data,
      '--storage.tsdb.retention.time',
      '3650d',
      '--web.listen-address',
      `127.0.0.1:${port}`,
      '--config.file',
      config,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await kill(child, exited);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, child);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  return { url, stop };
}

/**
 * Blocks for `text`, made once: promtool writes one block per 2 hours of history (about 2 s for
 * 9 days), so the result is kept under the OS temp dir by content hash and copied for each run.
 * Blocks are immutable, so a copy is as good as a fresh backfill.
 */
async function backfilled(text: string, input: string): Promise<string> {
  const key = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const cacheRoot = join(tmpdir(), 'scrumops-promtool-cache');
  const cached = join(cacheRoot, key);
  if (await exists(cached)) return cached;
  await mkdir(cacheRoot, { recursive: true });
  await writeFile(input, text);
  const fresh = await mkdtemp(join(cacheRoot, 'tmp-'));
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '-q', input, fresh]);
  // Atomic publish; when another test file won the race, use its copy.
  await rename(fresh, cached).catch(() => rm(fresh, { recursive: true, force: true }));
  return cached;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Polls /-/ready: the readiness endpoint is the synchronisation, not a guess at how long start-up takes. */
async function waitUntilReady(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`prometheus at ${url} not ready within ${timeoutMs} ms`);
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Evenly spaced epoch-ms times in [start, end). */
export function timesBetween(startMs: number, endMs: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = startMs; t < endMs; t += stepMs) out.push(t);
  return out;
}
