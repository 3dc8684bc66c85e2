/**
 * Fault suite, process faults (issue 10, "never silently missing", "atomic files"): the real bin
 * (node dist/cli/main.js, built by `npm ci`'s prepare) under signals, a full disk, an unwritable --out,
 * concurrent runs into one folder and a run that can never finish; plus the phase deadline in process.
 * Synchronisation is by events (the hanging server saw the request), never by sleeping.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join, resolve } from 'node:path';

import {
  boundMs,
  configYaml,
  expectCompleteFiles,
  readReport,
  runReport,
  workspace,
  type Workspace,
} from './local-harness';

const repo = resolve(__dirname, '../..');
/**
 * A spawned bin loads every module before it starts (~1–3 s alone, far more when the machine is shared
 * by parallel test workers): its hang guard is wider than the in-process one.
 */
const spawnBoundMs = 3 * boundMs;
jest.setTimeout(4 * boundMs);
const bin = join(repo, 'dist/cli/main.js');

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function spawnCli(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    stdoutFd?: number;
    onStart?: (kill: (s: NodeJS.Signals) => void) => void;
  },
): Promise<Spawned> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  options.onStart?.((signal) => child.kill(signal));
  return new Promise((done) =>
    child.on('close', (code) => done({ code, stdout, stderr, ms: Date.now() - started })),
  );
}

/** An HTTP server that takes requests and never answers; `requested` settles on the first one. */
async function hangingServer() {
  let seen = 0;
  let first!: () => void;
  const requested = new Promise<void>((r) => (first = r));
  const server = http.createServer(() => {
    seen++;
    first();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    requested,
    seen: () => seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A workspace whose api stack also reads a Prometheus at `port` (a hanging one in these cases). */
function hangingWorkspace(port: number, delivery?: string): Workspace {
  const ws = workspace();
  writeFileSync(
    ws.path('scrumops.yaml'),
    configYaml({
      sources: `  - { id: prom, type: prometheus, url: "http://127.0.0.1:${port}", timeoutMs: 60000 }`,
      apiMetrics: ', { id: up, source: prom, query: "up", unit: "" }',
      ...(delivery ? { delivery } : {}),
    }),
  );
  return ws;
}

const reportArgs = ['report', '--config', 'scrumops.yaml', '--at', '2026-11-26', '--out', 'out'];
const oldFiles = { 'report.json': '{"old": true}\n', 'report.html': '<html>old</html>\n' };

describe('fault suite: process faults', () => {
  // Each case is its own process and workspace. They run one after another: side by side on a busy
  // 2-core machine, each node start-up slowed past any sensible hang guard.
  const workspaces: Workspace[] = [];
  const track = (w: Workspace) => (workspaces.push(w), w);
  afterAll(() => workspaces.forEach((w) => w.cleanup()));

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s mid-fetch: a clear message, exit 1, yesterday’s files untouched, no temporary left',
    async (signal) => {
      const server = await hangingServer();
      try {
        const ws = track(hangingWorkspace(server.port));
        mkdirSync(ws.out);
        for (const [name, text] of Object.entries(oldFiles)) writeFileSync(join(ws.out, name), text);

        const result = await spawnCli(reportArgs, {
          cwd: ws.dir,
          onStart: (kill) => void server.requested.then(() => kill(signal)),
        });

        expect(result.code).toBe(1);
        expect(result.ms).toBeLessThan(spawnBoundMs);
        expect(result.stderr).toContain(`scrumops: stopped by ${signal} during the fetch phase`);
        for (const [name, text] of Object.entries(oldFiles))
          expect(readFileSync(join(ws.out, name), 'utf8')).toBe(text);
        expect(readdirSync(ws.out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      } finally {
        await server.close();
      }
    },
  );

  it('stdout on a full disk (/dev/full): files still written, exit 1, said on stderr', async () => {
    const ws = track(workspace());
    const full = openSync('/dev/full', 'w');
    try {
      const result = await spawnCli(reportArgs, { cwd: ws.dir, stdoutFd: full });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'scrumops: cannot write to stdout: no space left on the device (ENOSPC)',
      );
      expectCompleteFiles(ws.out);
    } finally {
      closeSync(full);
    }
  });

  it('an --out that cannot be written is exit 2 before anything is fetched', async () => {
    const server = await hangingServer();
    try {
      const ws = track(hangingWorkspace(server.port));

      const result = await spawnCli([...reportArgs.slice(0, -1), '/dev/full/out'], { cwd: ws.dir });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('scrumops: --out /dev/full/out: cannot write there');
      expect(server.seen()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('three concurrent runs into one --out: every file complete, no temporary left', async () => {
    const ws = track(workspace());

    const results = await Promise.all([1, 2, 3].map(() => spawnCli(reportArgs, { cwd: ws.dir })));

    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expectCompleteFiles(ws.out);
    expect(readReport(ws.out).stacks.map((s) => s.id)).toEqual(['web', 'api']);
  });

  it('a run whose work can never settle says so and exits 1 (the drain guard)', async () => {
    const script = `require(${JSON.stringify(bin)}).runCommand(() => new Promise(() => {}), 'normal');`;

    const result = await new Promise<Spawned>((done) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => done({ code, stdout: '', stderr, ms: Date.now() - started }));
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('scrumops: the run stopped before finishing (start)\n');
  });

  it('a job summary on a full disk fails that channel alone: files written, exit 1, channel named', async () => {
    const ws = track(workspace());
    writeFileSync(ws.path('scrumops.yaml'), configYaml({ delivery: 'delivery: { githubSummary: true }' }));

    const result = await spawnCli([...reportArgs, '--send'], {
      cwd: ws.dir,
      env: { GITHUB_STEP_SUMMARY: '/dev/full' },
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('deliver: github-summary FAILED');
    expectCompleteFiles(ws.out);
  });
});

describe('fault suite: file write failures and deadlines (in process)', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  it('report.json cannot be replaced: the error names it, the channels are still tried, exit 1', async () => {
    ws = workspace();
    writeFileSync(ws.path('scrumops.yaml'), configYaml({ delivery: 'delivery: { githubSummary: true }' }));
    mkdirSync(join(ws.out, 'report.json'), { recursive: true });
    writeFileSync(join(ws.out, 'report.json', 'keep'), 'a folder is in the way');
    const summary = ws.path('summary.md');

    const result = await runReport(ws, { send: true }, { GITHUB_STEP_SUMMARY: summary });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`files: cannot write ${join(ws.out, 'report.json')}`);
    // The job summary still went out.
    expect(readFileSync(summary, 'utf8')).toContain('Faults');
    expect(readdirSync(ws.out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(ws.out, 'report.json', 'keep'))).toBe(true);
  });

  it('a fetch past its deadline ends the run with the phase named, exit 1', async () => {
    const server = await hangingServer();
    try {
      ws = hangingWorkspace(server.port);

      const result = await runReport(ws, {}, {}, { deadlinesMs: { fetch: 300 } });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('scrumops: the fetch phase did not finish within 0.3 s');
      expect(result.ms).toBeLessThan(boundMs);
    } finally {
      await server.close();
    }
  });
});
