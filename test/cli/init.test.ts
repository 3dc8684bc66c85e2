/**
 * `scrumops init` in a temp folder: what it writes loads with the config loader (what `validate` runs)
 * and passes actionlint; it never overwrites without --force; bad flags are one line and exit 2.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';

import { validateCommand, type CliEnv } from '../../src/cli/commands';
import { initCommand, initPaths, type InitOptions } from '../../src/cli/init';
import { exitCodeFor } from '../../src/cli/main';
import { weekdayCron } from '../../src/init/templates';
import { silentLogger } from '../../src/logger';
import { lintWorkflow } from '../workflows/actionlint';

const env = {
  DD_API_KEY: 'dd-api-key-0123456789abcdef',
  DD_APP_KEY: 'dd-app-key-fedcba9876543210',
  GRAFANA_TOKEN: 'glsa_token_0123456789',
  SMTP_URL: 'smtp://user:pass@127.0.0.1:2525',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
};

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'scrumops-init-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

function run(options: Partial<InitOptions>): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const cli: CliEnv & { version: string } = {
    env,
    now: () => Date.parse('2026-11-26T08:30:00Z'),
    logger: silentLogger,
    stdout: (t) => (stdout += t),
    cwd,
    version: '9.8.7',
  };
  const full: InitOptions = {
    datadog: false,
    email: false,
    slack: false,
    force: false,
    workflow: true,
    timezone: 'Europe/Berlin',
    ...options,
  };
  try {
    return { code: initCommand(full, cli), stdout, stderr };
  } catch (error) {
    const code = exitCodeFor(error, 'normal', (t) => (stderr += t));
    return { code, stdout, stderr };
  }
}

function validate(): { code: number; stdout: string } {
  let stdout = '';
  const code = validateCommand(
    {},
    { env, now: () => 0, logger: silentLogger, stdout: (t) => (stdout += t), cwd },
  );
  return { code, stdout };
}

const read = (path: string) => readFileSync(join(cwd, path), 'utf8');

describe('scrumops init', () => {
  it.each<[string, Partial<InitOptions>, string[], number]>([
    ['--datadog --email --slack', { datadog: true, email: true, slack: true }, ['dd'], 4],
    ['--datadog --site datadoghq.eu', { datadog: true, site: 'datadoghq.eu' }, ['dd'], 4],
    [
      '--grafana URL --datasource UID',
      { grafana: 'https://grafana.example.com/', datasource: 'prom-main' },
      ['grafana'],
      4,
    ],
    ['--prometheus URL --slack', { prometheus: 'http://prometheus:9090', slack: true }, ['prom'], 4],
    [
      'all three sources',
      {
        datadog: true,
        grafana: 'https://grafana.example.com',
        datasource: 'prom-main',
        prometheus: 'http://prometheus:9090',
        email: true,
      },
      ['dd', 'grafana', 'prom'],
      12,
    ],
  ])(
    '%s writes a config that validates and a workflow actionlint accepts',
    async (_, options, sources, metrics) => {
      const result = run(options);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`wrote ${initPaths.config}`);
      expect(result.stdout).toContain(`wrote ${initPaths.workflow}`);
      expect(result.stdout).toContain('npx scrumops doctor');
      expect(validate()).toEqual({
        code: 0,
        stdout: expect.stringContaining(
          `${sources.length} source${sources.length > 1 ? 's' : ''}, 1 stack, ${metrics} metrics`,
        ) as string,
      });
      const config = parse(read(initPaths.config)) as { sources: { id: string }[] };
      expect(config.sources.map((s) => s.id)).toEqual(sources);
      expect(await lintWorkflow(read(initPaths.workflow))).toEqual([]);
    },
  );

  it('points the config at the JSON Schema and explains the {{var}} placeholders', () => {
    run({ datadog: true });

    const text = read(initPaths.config);
    expect(text.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=https://unpkg.com/scrumops@9.8.7/config/scrumops.schema.json',
    );
    expect(text).toMatch(/\{\{service\}\} in a query is replaced by each stack's `vars.service`/);
    for (const signal of ['latency_p95', 'error_rate', 'throughput', 'saturation'])
      expect(text).toMatch(new RegExp(`^  ${signal}:`, 'm'));
  });

  it("uses the installed package's schema when scrumops is a dependency of the project", () => {
    mkdirSync(join(cwd, 'node_modules/scrumops/config'), { recursive: true });
    writeFileSync(join(cwd, 'node_modules/scrumops/config/scrumops.schema.json'), '{}');

    run({ prometheus: 'http://prometheus:9090' });

    expect(read(initPaths.config).split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../node_modules/scrumops/config/scrumops.schema.json',
    );
  });

  it('lists exactly the secrets the choices need, and the workflow passes exactly those', () => {
    const { stdout } = run({ datadog: true, slack: true });

    const listed = [...stdout.matchAll(/^ {7}([A-Z_]+) {2}/gm)].map((m) => m[1]);
    expect(listed).toEqual(['DD_API_KEY', 'DD_APP_KEY', 'SLACK_WEBHOOK_URL']);
    const workflow = read(initPaths.workflow);
    expect([...workflow.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1])).toEqual(listed);
    expect(workflow).toContain('npx --yes scrumops@9.8.7 "${args[@]}"');
    expect(workflow).toMatch(/node-version: 24/);
  });

  it('refuses to overwrite a config, names it and suggests --force; --force replaces it', () => {
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, initPaths.config), 'mine\n');

    const refused = run({ datadog: true });

    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `scrumops: init: ${initPaths.config} already exists; nothing written (use --force to replace it)\n`,
    );
    expect(read(initPaths.config)).toBe('mine\n');
    expect(existsSync(join(cwd, initPaths.workflow))).toBe(false);

    const forced = run({ datadog: true, force: true });

    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`replaced ${initPaths.config}`);
    expect(read(initPaths.config)).toContain('type: datadog');
  });

  it('--no-workflow writes the config only', () => {
    run({ datadog: true, workflow: false });

    expect(existsSync(join(cwd, initPaths.config))).toBe(true);
    expect(existsSync(join(cwd, initPaths.workflow))).toBe(false);
  });

  it.each<[Partial<InitOptions>, string]>([
    [
      {},
      'init: choose at least one source: --datadog [--site S], --grafana URL --datasource UID, or --prometheus URL',
    ],
    [
      { grafana: 'grafana.example.com', datasource: 'x' },
      '--grafana "grafana.example.com": expected an http(s):// URL, e.g. https://grafana.example.com',
    ],
    [{ grafana: 'https://g.example.com' }, '--grafana needs --datasource UID'],
    [{ prometheus: 'http://admin:hunter2@prom:9090' }, '--prometheus: no credentials in the URL'],
    [{ site: 'datadoghq.eu' }, '--site is for Datadog: add --datadog'],
    [{ datadog: true, timezone: 'Mars/Olympus' }, '--timezone "Mars/Olympus": expected an IANA time zone'],
    [{ datadog: true, at: '9am' }, '--at "9am": expected HH:MM'],
  ])('bad flags %j: one line, exit 2, nothing written', (options, message) => {
    const result = run(options);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('hunter2');
    expect(existsSync(join(cwd, 'config'))).toBe(false);
  });
});

describe('weekdayCron: after report.at in summer and in winter', () => {
  it.each([
    ['09:00', 'Europe/Berlin', '7 8 * * 1-5'], // 09:07 in winter, 10:07 in summer
    ['09:00', 'UTC', '7 9 * * 1-5'],
    ['09:30', 'America/Los_Angeles', '37 17 * * 1-5'], // 09:37 PST, 10:37 PDT
    ['08:00', 'Asia/Tokyo', '7 23 * * 0-4'], // the day before in UTC
    ['23:58', 'UTC', '5 0 * * 2-6'], // the day after
  ])('%s in %s → %s', (at, zone, cron) => {
    expect(weekdayCron(at, zone).cron).toBe(cron);
  });
});
