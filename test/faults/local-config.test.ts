/**
 * Fault suite, bad configs (issue 10): each case writes one hostile or mistaken config and runs the real
 * commands. A config problem is exit 2 with the file and the dotted path named, never the parser's
 * words alone; nothing is fetched or written. Labels cannot start workflow commands or reorder text,
 * and every ${VAR} value — whatever its key — is scrubbed from every output.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';

import {
  boundMs,
  configYaml,
  everything,
  expectCompleteFiles,
  expectNoSecret,
  readReport,
  runReport,
  runValidate,
  workspace,
  type Workspace,
} from './local-harness';

interface ConfigCase {
  name: string;
  config: (ws: Workspace) => string;
  env?: Record<string, string>;
  /** Words stderr must hold (the file is always named too). */
  says: string;
}

const aliasBomb = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
].join('\n');

const badConfigs: ConfigCase[] = [
  { name: 'a YAML alias bomb', config: () => aliasBomb, says: 'too many YAML aliases' },
  {
    name: 'a config larger than 1 MB',
    config: () => `${configYaml()}\n# ${'x'.repeat(1024 * 1024)}\n`,
    says: 'more than the 1024 KB a config may be',
  },
  {
    name: 'a window of 99999 days',
    config: () => configYaml().replace('window: 24h', 'window: 99999d'),
    says: 'report.window: at most 7d',
  },
  {
    name: 'a window of 8 days',
    config: () => configYaml().replace('window: 24h', 'window: 8d'),
    says: 'report.window: at most 7d',
  },
  {
    name: 'a window of 0 minutes',
    config: () => configYaml().replace('window: 24h', 'window: 0m'),
    says: 'report.window: must be longer than 0',
  },
  {
    name: 'a daily baseline of 91 days',
    config: () => configYaml().replace('days: 3', 'days: 91'),
    says: 'report.baseline.days',
  },
  {
    name: 'a weekly baseline of 13 weeks (91 days)',
    config: () => configYaml().replace('mode: daily, days: 3', 'mode: weekly, days: 13'),
    says: 'report.baseline.days: 13 weeks look back 91 days; at most 90 days',
  },
  {
    name: 'an inline metric with a wrongly typed key',
    config: () => configYaml({ errExtra: ', weight: heavy' }),
    says: 'stacks[0].metrics[1].weight: Invalid input: expected number',
  },
  {
    name: 'a metric whose min is not below its max',
    config: () => configYaml({ errExtra: ', min: 5, max: 1' }),
    says: 'stacks[0].metrics[1].min: 5 is not below max 1',
  },
  {
    name: 'an unset ${VAR}',
    config: () =>
      configYaml({
        sources: '  - { id: prom, type: prometheus, url: "http://127.0.0.1:9", token: "${PROM_TOKEN}" }',
      }),
    says: 'sources[1].token: environment variable PROM_TOKEN is not set',
  },
  {
    name: 'a YAML syntax error',
    config: () => configYaml().replace('  title: Faults', '  title: [Faults'),
    says: 'scrumops.yaml:',
  },
  { name: 'a list instead of a mapping', config: () => '- a\n- b\n', says: 'expected a mapping' },
  {
    name: 'an unknown key',
    config: () => configYaml().replace('  title: Faults', '  title: Faults\n  colour: blue'),
    says: 'report: unknown key "colour"',
  },
  {
    name: 'a maxPointsPerSeries below the floor',
    config: () => configYaml({ report: '  maxPointsPerSeries: 5' }),
    says: 'report.maxPointsPerSeries',
  },
  {
    name: 'a folder given as the config',
    config: (ws) => {
      mkdirSync(ws.path('scrumops.yaml.d'));
      return configYaml();
    },
    says: 'is a folder',
  },
];

describe('fault suite: bad configs are exit 2, naming the file and the path', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  it.each(badConfigs.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    ws = workspace();
    writeFileSync(ws.path('scrumops.yaml'), c.config(ws));
    const configName = c.name === 'a folder given as the config' ? 'scrumops.yaml.d' : 'scrumops.yaml';

    const result = await runReport(ws, { config: configName }, c.env ?? {});
    const validated = await runValidate(ws, c.env ?? {});

    expect(result.code).toBe(2);
    expect(result.ms).toBeLessThan(boundMs);
    expect(result.stderr).toContain(configName);
    expect(result.stderr).toContain(c.says);
    // Nothing fetched, nothing written: the out folder was never created.
    expect(existsSync(ws.out)).toBe(false);
    if (configName === 'scrumops.yaml') {
      expect(validated.code).toBe(2);
      expect(validated.stderr).toContain(c.says);
    }
    // One readable line per problem; no parser stack trace.
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('fault suite: config problems quote nothing dangerous', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  it('a ${VAR} value echoed by a problem is scrubbed (the secret never reaches stderr)', async () => {
    ws = workspace();
    writeFileSync(ws.path('scrumops.yaml'), configYaml().replace('timezone: UTC', 'timezone: "${ZONE}"'));
    const secret = 'Zone-Secret-0123456789';

    const result = await runReport(ws, {}, { ZONE: secret });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('report.timezone: unknown time zone "***"');
    expectNoSecret([secret], result.stderr, result.stdout);
  });

  it('a key holding a newline and a workflow command stays on its line', async () => {
    ws = workspace();
    writeFileSync(
      ws.path('scrumops.yaml'),
      configYaml().replace('  title: Faults', '  title: Faults\n  "x\\n::error title=pwned::boom": 1'),
    );

    const result = await runReport(ws);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown key');
    expect(result.stderr).not.toMatch(/^\s*::error/m);
  });
});

describe('fault suite: validate reads the data files up front', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  it.each([
    [
      'a bad row',
      (w: Workspace) => w.write('data/web/err.csv', 'timestamp,value\n2026-11-25T09:00:00Z,lots\n'),
      'stacks[0].metrics[1] (err): data/web/err.csv:2: value "lots" is not a number',
    ],
    [
      'a missing file',
      (w: Workspace) => w.write('data/web/cpu.csv', ''),
      'stacks[0].metrics[0] (cpu): data/web/cpu.csv:1: expected a header',
    ],
  ])('%s is exit 2 with the path and file:line', async (_name, arrange, says) => {
    ws = workspace();
    arrange(ws);

    const result = await runValidate(ws);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(says);
  });
});

/** A TCP port that refuses at once: the Prometheus source fails fast and its error names the URL. */
async function refusedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('fault suite: labels and secrets from the config', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  it('a newline in a label cannot start a workflow command, a bidi override cannot reorder a name', async () => {
    ws = workspace();
    writeFileSync(
      ws.path('scrumops.yaml'),
      configYaml()
        .replace('name: Web', 'name: "Web\\n::error title=pwned::boom"')
        .replace('name: API', 'name: "API \\u202Egnp.exe"')
        .replace('title: Faults', 'title: "Faults\\r\\n::warning::x\\u001b[2J"'),
    );

    const result = await runReport(ws);

    expect(result.code).toBe(0);
    expectCompleteFiles(ws.out);
    for (const text of everything(ws, result)) {
      expect(text).not.toMatch(/^\s*::(error|warning)/m);
      expect(text).not.toContain('\u202e');
      expect(text).not.toContain('\x1b[2J');
    }
    expect(readReport(ws.out).stacks[0]!.name).toBe('Web ::error title=pwned::boom');
  });

  it('a password inside a URL under a key not named like a secret is scrubbed everywhere', async () => {
    ws = workspace();
    const password = 'hunter2-fake-Passw0rd';
    const port = await refusedPort();
    writeFileSync(
      ws.path('scrumops.yaml'),
      configYaml({
        sources: '  - { id: prom, type: prometheus, url: "${PROM_URL}" }',
        apiMetrics: ', { id: up, source: prom, query: "up", unit: "" }',
        webExtra: '    links: { dashboard: "https://viewer:${DASH_PASS}@grafana.example.com/d/web" }',
      }),
    );
    const env = {
      PROM_URL: `http://scrumops:${password}@127.0.0.1:${port}`,
      DASH_PASS: 'dash-board-secret-99',
    };

    const result = await runReport(ws, {}, env);

    expect(result.code).toBe(0);
    expectCompleteFiles(ws.out);
    expect(readReport(ws.out).stacks[1]!.metrics.find((m) => m.id === 'up')!.verdict).toBe('unknown');
    expectNoSecret([password, 'dash-board-secret-99'], ...everything(ws, result));
    // The URL's host and port are not secret (pieces of them appear in the error), the whole value is.
    expect(everything(ws, result).join('\n')).not.toContain(env.PROM_URL);
    expect(readReport(ws.out).stacks[0]!.links.dashboard).toBe('https://grafana.example.com/d/web');
  });
});
