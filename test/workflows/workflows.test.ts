import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';

import { lintWorkflow, parseAction, workflowForAction } from './actionlint';

const root = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const workflowFiles = readdirSync(join(root, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `.github/workflows/${f}`);
const secretNames = ['DD_API_KEY', 'DD_APP_KEY', 'GRAFANA_TOKEN', 'SMTP_URL', 'SLACK_WEBHOOK_URL'];

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

interface Job {
  steps: Step[];
  container?: string;
  'runs-on': string;
  needs?: string;
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix: Record<string, unknown> };
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const workflow = (path: string) => parse(read(path)) as Workflow;
const stepsOf = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const allSteps: [string, Step][] = [
  ...workflowFiles.flatMap((f) => stepsOf(workflow(f)).map((s): [string, Step] => [f, s])),
  ...(parseAction(read('action.yml')).runs.steps as Step[]).map((s): [string, Step] => ['action.yml', s]),
];
const runSteps = allSteps.filter(([, s]) => s.run !== undefined);

describe('actionlint', () => {
  it('finds the workflows', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/daily-report.yml']),
    );
  });

  it.each(workflowFiles)('%s has no problems', async (file) => {
    expect(await lintWorkflow(read(file))).toEqual([]);
  });

  it('action.yml: its composite steps have no problems', async () => {
    const action = parseAction(read('action.yml'));

    expect(await lintWorkflow(workflowForAction(action))).toEqual([]);
  });

  it('the workflow shown in RUN-EVERY-MORNING.md for other repositories has no problems', async () => {
    const blocks = [...read('.github/RUN-EVERY-MORNING.md').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
      (m) => m[1]!,
    );
    const examples = blocks.filter((b) => /^jobs:/m.test(b));

    expect(examples).toHaveLength(1);
    expect(await lintWorkflow(examples[0]!)).toEqual([]);
  });

  it('reports problems in a broken workflow, so the checks above can fail', async () => {
    const broken = [
      'on:',
      '  schedule:',
      "    - cron: '61 7 * * 1-5'",
      'jobs:',
      '  report:',
      '    steps:',
      '      - run: echo "${{ github.event.pull_request.title }}"',
      '      - uses: actions/upload-artifact@v4',
      '        with: { nme: out }',
    ].join('\n');

    const problems = await lintWorkflow(broken);

    const text = problems.map((p) => `${p.line}: ${p.message}`).join('\n');
    expect(text).toMatch(/3: invalid CRON format "61 7/);
    expect(text).toMatch(/"runs-on" section is missing/);
    expect(text).toMatch(/7: "github\.event\.pull_request\.title" is potentially untrusted/);
    expect(text).toMatch(/input "nme" is not defined/);
  });

  it('reports an action step that uses an input the action does not declare', async () => {
    const action = parseAction(read('action.yml'));
    action.runs.steps!.push({
      name: 'oops',
      shell: 'bash',
      env: { X: '${{ inputs.no-such-input }}' },
      run: 'true',
    });

    const problems = await lintWorkflow(workflowForAction(action));

    expect(problems.map((p) => p.message).join('\n')).toMatch(/no-such-input/);
  });
});

describe('every workflow and action', () => {
  it.each(runSteps.map(([file, s]) => [file, s.name ?? s.run!.slice(0, 40), s] as const))(
    '%s "%s": no ${{ }} inside the script (inputs and secrets go through env)',
    (_, __, step) => {
      expect(step.run).not.toContain('${{');
    },
  );

  it('never prints a secret: no script mentions one, and none runs with set -x', () => {
    for (const [, step] of runSteps) {
      for (const name of secretNames) expect(step.run).not.toContain(name);
      expect(step.run).not.toMatch(/set -[a-z]*x|set -o xtrace/);
    }
  });

  it('composite steps name their shell', () => {
    for (const [file, step] of allSteps)
      if (file === 'action.yml' && step.run) expect(step.shell).toBe('bash');
  });
});

describe('daily-report.yml', () => {
  const w = workflow('.github/workflows/daily-report.yml');
  const steps = stepsOf(w);

  it('runs on weekdays at an odd minute, before a typical standup', () => {
    const schedule = w.on.schedule as { cron: string }[];

    expect(schedule).toHaveLength(1);
    const [minute, hour, dom, month, weekday] = schedule[0]!.cron.split(' ');
    expect(Number(minute) % 2).toBe(1);
    expect(Number(hour)).toBeGreaterThanOrEqual(5);
    expect(Number(hour)).toBeLessThanOrEqual(9);
    expect([dom, month, weekday]).toEqual(['*', '*', '1-5']);
    expect(read('.github/workflows/daily-report.yml')).toMatch(/#.*timezone: Europe\/Berlin/);
  });

  it('can be run by hand with at, stacks and dry_run', () => {
    const dispatch = w.on.workflow_dispatch as { inputs: Record<string, { type: string }> };

    expect(Object.keys(dispatch.inputs).sort()).toEqual(['at', 'dry_run', 'stacks']);
    expect(dispatch.inputs.dry_run!.type).toBe('boolean');
  });

  it('never runs twice at once, and never cancels a run that may be sending', () => {
    expect(w.concurrency).toEqual({ group: expect.any(String) as string, 'cancel-in-progress': false });
  });

  it('asks for nothing but reading the repository', () => {
    expect(w.permissions).toEqual({ contents: 'read' });
  });

  it('sets up Node 24 (the current LTS) with the npm cache, installs with npm ci and sends', () => {
    const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    const order = steps.map((s) => s.uses ?? s.run ?? '');

    expect(node?.with).toMatchObject({ 'node-version': 24, cache: 'npm' });
    const ci = order.findIndex((s) => /^npm ci\b/.test(s));
    const send = order.findIndex(
      (s) => s.includes('args=(report --send --out out)') && s.includes('npx --no-install scrumops'),
    );
    expect(ci).toBeGreaterThan(order.indexOf(node!.uses!));
    expect(send).toBeGreaterThan(ci);
  });

  it('passes the five secrets as environment variables of the sending step only', () => {
    const text = read('.github/workflows/daily-report.yml');
    const send = steps.find((s) => s.run?.includes('scrumops'))!;

    for (const name of secretNames) expect(send.env?.[name]).toBe(`\${{ secrets.${name} }}`);
    expect(text.match(/secrets\./g)).toHaveLength(secretNames.length);
  });

  it('uploads out/ as an artifact even when the report step failed, replacing a same-named one', () => {
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));

    expect(upload?.uses).toBe('actions/upload-artifact@v4');
    expect(upload?.if).toBe('always()');
    expect(upload?.with).toMatchObject({ path: 'out/', overwrite: true });
  });
});

describe('fleet-report.yml', () => {
  const w = workflow('.github/workflows/fleet-report.yml');
  const shard = w.jobs.shard!;
  const merge = w.jobs.merge!;

  it('runs one shard job per team, none cancelling the others', () => {
    expect(shard.strategy?.['fail-fast']).toBe(false);
    expect(shard.strategy?.matrix.team).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('each shard reports its team only, sends nothing, and keeps report.json as its own artifact', () => {
    const report = shard.steps.find((s) => s.run?.includes('scrumops'))!;
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;

    expect(report.run).toContain('--team "$TEAM"');
    expect(report.run).not.toMatch(/--send|--dry-run/);
    expect(report.env).not.toHaveProperty('SMTP_URL');
    expect(report.env).not.toHaveProperty('SLACK_WEBHOOK_URL');
    expect(upload.if).toBe('always()');
    expect(upload.with).toMatchObject({
      name: 'shard-${{ matrix.team }}',
      path: 'shard/report.json',
      overwrite: true,
    });
  });

  it('merges after every shard, whatever their outcome, and is the only job that delivers', () => {
    const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    const send = merge.steps.find((s) => s.run?.includes('scrumops'))!;

    expect(merge.needs).toBe('shard');
    expect(merge.if).toBe('${{ !cancelled() }}');
    expect(download.with).toMatchObject({ pattern: 'shard-*', path: 'shards' });
    expect(send.run).toContain('args=(merge --send --out out)');
    expect(send.env).toMatchObject({
      SMTP_URL: '${{ secrets.SMTP_URL }}',
      SLACK_WEBHOOK_URL: '${{ secrets.SLACK_WEBHOOK_URL }}',
    });
  });

  it('never runs twice at once and asks for nothing but reading the repository', () => {
    expect(w.concurrency).toEqual({ group: expect.any(String) as string, 'cancel-in-progress': false });
    expect(w.permissions).toEqual({ contents: 'read' });
  });
});

describe('Node versions', () => {
  it('no workflow and not the action runs on Node 20 (end of life since April 2026)', () => {
    const versions = allSteps
      .filter(([, s]) => s.uses?.startsWith('actions/setup-node@'))
      .map(([, s]) => String(s.with?.['node-version']));
    const action = parseAction(read('action.yml'));

    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect(v).toMatch(/^(24|\$\{\{ (matrix\.node|inputs\.node-version) \}\})$/);
    expect(action.inputs?.['node-version']?.default).toBe('24');
    expect(workflow('.github/workflows/ci.yml').jobs.test).toMatchObject({
      strategy: { matrix: { node: [22, 24] } },
    });
  });
});

describe('action.yml install step, run by bash with npm replaced by a stub that logs its arguments', () => {
  const install = (parseAction(read('action.yml')).runs.steps as Step[]).find(
    (s) => s.name === 'Install scrumops',
  )!.run!;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scrumops-action-install-'));
    writeFileSync(join(dir, 'npm'), '#!/bin/sh\necho "npm $*" >> "$LOG"\n');
    chmodSync(join(dir, 'npm'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const runInstall = () => {
    const log = join(dir, 'log');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', install], {
      cwd: dir,
      env: { PATH: `${dir}:/usr/bin:/bin`, LOG: log },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n');
  };

  it('a release ref with dist/: production dependencies only, no build', () => {
    mkdirSync(join(dir, 'dist/cli'), { recursive: true });
    writeFileSync(join(dir, 'dist/cli/main.js'), '');

    const calls = runInstall();

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^npm ci --omit=dev --ignore-scripts\b/);
  });

  it('a branch without dist/: builds, then drops the build tools', () => {
    const calls = runInstall();

    expect(calls.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'npm ci --ignore-scripts',
      'npm run build',
      'npm prune --omit=dev',
    ]);
  });
});

describe('ci.yml', () => {
  const w = workflow('.github/workflows/ci.yml');
  const test = w.jobs.test!;
  const runs = test.steps.flatMap((s) => (s.run ? [s.run] : []));

  it('runs on pushes and pull requests', () => {
    expect(Object.keys(w.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('does what .ci/run does: the same Debian packages, then npm ci, then npm test', () => {
    const packagesOf = (text: string) =>
      (/apt-get install[^\n]*--no-install-recommends ((?:[a-z0-9.+-]+ ?)+)/.exec(text)?.[1] ?? '')
        .trim()
        .split(/\s+/)
        .sort();

    expect(test.container).toMatch(/bookworm|debian/);
    const install = runs.find((r) => r.includes('apt-get install'))!;
    expect(packagesOf(install)).toEqual(packagesOf(read('.ci/run')));
    expect(packagesOf(install)).toEqual(expect.arrayContaining(['chromium', 'prometheus']));
    const order = runs.map((r) => (/^npm (ci|test)\b/.exec(r) ?? [r])[0]);
    expect(order.indexOf('npm ci')).toBeGreaterThan(runs.indexOf(install));
    expect(order.indexOf('npm test')).toBeGreaterThan(order.indexOf('npm ci'));
  });
});

/**
 * The scripts themselves, run by bash as GitHub runs them (`bash --noprofile --norc -eo pipefail`),
 * with the CLI replaced by a stub that prints the arguments it got.
 */
describe('the scripts pass inputs as arguments, never as code', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scrumops-workflow-'));
    // Stubs for the CLI: print the arguments NUL-separated (shell only: starting Node costs more).
    const stub = (skip: number) => `#!/bin/sh\nshift ${skip}\nprintf '%s\\0' "$@"\nexit "\${FAKE_EXIT:-0}"\n`;
    writeFileSync(join(dir, 'npx'), stub(0));
    writeFileSync(join(dir, 'node'), stub(1)); // `node "$SCRUMOPS_BIN" args…`: drop the script path
    chmodSync(join(dir, 'npx'), 0o755);
    chmodSync(join(dir, 'node'), 0o755);
    // A file a stray glob would expand to.
    writeFileSync(join(dir, 'decoy'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(script: string, env: Record<string, string>) {
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd: dir,
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, ...env },
      encoding: 'utf8',
    });
    const args = result.stdout ? result.stdout.split('\0').slice(0, -1) : [];
    return { status: result.status, args, stderr: result.stderr };
  }

  const hostile = '$(touch pwned) `touch pwned2` * ;rm';
  const daily = stepsOf(workflow('.github/workflows/daily-report.yml')).find((s) =>
    s.run?.includes('scrumops'),
  )!.run!;

  it.each<[string, Record<string, string>, string[]]>([
    ['a scheduled run (no inputs)', {}, ['report', '--send', '--out', 'out']],
    [
      'a scheduled run (empty inputs)',
      { REPORT_AT: '', REPORT_STACKS: '', REPORT_DRY_RUN: '' },
      ['report', '--send', '--out', 'out'],
    ],
    [
      'a manual dry run for two stacks',
      { REPORT_AT: '2026-11-26', REPORT_STACKS: 'checkout, search  ledger,', REPORT_DRY_RUN: 'true' },
      [
        'report',
        '--send',
        '--out',
        'out',
        '--at',
        '2026-11-26',
        '--stack',
        'checkout',
        '--stack',
        'search',
        '--stack',
        'ledger',
        '--dry-run',
      ],
    ],
    [
      'hostile inputs',
      { REPORT_AT: '2026-11-26T08:00:00Z; touch pwned', REPORT_STACKS: hostile, REPORT_DRY_RUN: 'false' },
      [
        'report',
        '--send',
        '--out',
        'out',
        '--at',
        '2026-11-26T08:00:00Z; touch pwned',
        ...hostile.split(' ').flatMap((id) => ['--stack', id]),
      ],
    ],
  ])('daily-report.yml: %s', (_, env, expected) => {
    const { status, args, stderr } = run(daily, env);

    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(args).toEqual(['--no-install', 'scrumops', ...expected]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
  });

  const fleet = workflow('.github/workflows/fleet-report.yml');
  const shardScript = fleet.jobs.shard!.steps.find((s) => s.run?.includes('scrumops'))!.run!;
  const mergeScript = fleet.jobs.merge!.steps.find((s) => s.run?.includes('scrumops'))!.run!;

  it.each<[string, Record<string, string>, string[]]>([
    [
      'a scheduled shard',
      { TEAM: 'payments' },
      ['report', '--team', 'payments', '--out', 'shard', '--format', 'json'],
    ],
    [
      'a manual shard with hostile values',
      { TEAM: hostile, REPORT_AT: '2026-11-26; touch pwned' },
      ['report', '--team', hostile, '--out', 'shard', '--format', 'json', '--at', '2026-11-26; touch pwned'],
    ],
  ])('fleet-report.yml shard: %s', (_, env, expected) => {
    const { status, args, stderr } = run(shardScript, env);

    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(args).toEqual(['--no-install', 'scrumops', ...expected]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['a scheduled merge', {}, ['merge', '--send', '--out', 'out']],
    ['a manual dry run', { REPORT_DRY_RUN: 'true' }, ['merge', '--send', '--out', 'out', '--dry-run']],
  ])('fleet-report.yml merge: %s, every downloaded shard named', (_, env, expected) => {
    mkdirSync(join(dir, 'shards/shard-payments'), { recursive: true });
    mkdirSync(join(dir, 'shards/shard-platform'), { recursive: true });

    const { status, args } = run(mergeScript, env);

    expect(status).toBe(0);
    expect(args).toEqual([
      '--no-install',
      'scrumops',
      ...expected,
      'shards/shard-payments',
      'shards/shard-platform',
    ]);
  });

  const action = parseAction(read('action.yml'));
  const actionScript = (action.runs.steps as Step[]).find((s) => s.id === 'run')!.run!;
  const defaults = Object.fromEntries(
    Object.entries(action.inputs ?? {}).map(([k, v]) => [
      `INPUT_${k.toUpperCase().replace(/-/g, '_')}`,
      v.default ?? '',
    ]),
  );

  it.each<[string, Record<string, string>, string[], number]>([
    ['defaults', {}, ['report', '--config', 'config/scrumops.yaml', '--out', 'out', '--send'], 0],
    [
      'every input',
      {
        INPUT_CONFIG: 'ops/scrumops.yaml',
        INPUT_AT: '2026-11-26',
        INPUT_STACKS: 'checkout,search',
        INPUT_SEND: 'false',
        INPUT_DRY_RUN: 'true',
        INPUT_FAIL_ON: 'bad',
        INPUT_OUT: '/tmp/report out',
      },
      [
        'report',
        '--config',
        'ops/scrumops.yaml',
        '--out',
        '/tmp/report out',
        '--at',
        '2026-11-26',
        '--stack',
        'checkout',
        '--stack',
        'search',
        '--dry-run',
        '--fail-on',
        'bad',
      ],
      0,
    ],
    [
      'hostile stacks',
      { INPUT_STACKS: hostile },
      [
        'report',
        '--config',
        'config/scrumops.yaml',
        '--out',
        'out',
        ...hostile.split(' ').flatMap((id) => ['--stack', id]),
        '--send',
      ],
      0,
    ],
    [
      'a failing run (fail-on held)',
      { INPUT_FAIL_ON: 'bad', FAKE_EXIT: '3' },
      ['report', '--config', 'config/scrumops.yaml', '--out', 'out', '--send', '--fail-on', 'bad'],
      3,
    ],
  ])('action.yml: %s', (_, env, expected, exitCode) => {
    const output = join(dir, 'github_output');
    writeFileSync(output, '');

    const { status, args } = run(actionScript, {
      ...defaults,
      SCRUMOPS_BIN: '/nowhere/dist/cli/main.js',
      GITHUB_OUTPUT: output,
      ...env,
    });

    expect(status).toBe(exitCode);
    expect(args).toEqual(expected);
    const outDir = env.INPUT_OUT ?? join(dir, 'out');
    expect(readFileSync(output, 'utf8')).toBe(`out-dir=${outDir}\nexit-code=${exitCode}\n`);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
