/**
 * `scrumops init`: write a commented config/scrumops.yaml and .github/workflows/daily-report.yml for
 * the sources and channels on the command line, then say which secrets to set and what to run next.
 * Never overwrites a file without --force; checks every flag before writing anything.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors';
import { chosenSources, configText, secretsToSet, workflowText, type InitChoices } from '../init/templates';
import { exitCodes, type CliEnv } from './commands';

export interface InitOptions {
  datadog: boolean;
  site?: string;
  grafana?: string;
  datasource?: string;
  prometheus?: string;
  email: boolean;
  slack: boolean;
  timezone?: string;
  at?: string;
  force: boolean;
  /** Without the workflow (a repository that schedules the report some other way). */
  workflow: boolean;
}

export const initPaths = {
  config: 'config/scrumops.yaml',
  workflow: '.github/workflows/daily-report.yml',
} as const;

const schemaInPackage = 'config/scrumops.schema.json';

function httpUrl(flag: string, value: string, example: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
    throw new UsageError(`${flag} "${value}": expected an http(s):// URL, e.g. ${example}`);
  }
  if (url.username || url.password) {
    throw new UsageError(`${flag}: no credentials in the URL; the token goes in a secret`);
  }
  return value.replace(/\/+$/, '');
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Flags to choices; every mistake is a UsageError naming the flag. */
export function initChoices(options: InitOptions, defaultTimezone: string): InitChoices {
  if (options.site !== undefined && !options.datadog)
    throw new UsageError('--site is for Datadog: add --datadog');
  if (options.datasource !== undefined && options.grafana === undefined)
    throw new UsageError('--datasource is for Grafana: add --grafana URL');
  if (options.grafana !== undefined && options.datasource === undefined)
    throw new UsageError(
      '--grafana needs --datasource UID: the uid ends the datasource page URL in Grafana (Connections → Data sources)',
    );
  const timezone = options.timezone ?? defaultTimezone;
  if (!isTimeZone(timezone))
    throw new UsageError(`--timezone "${timezone}": expected an IANA time zone such as Europe/Berlin`);
  const at = options.at ?? '09:00';
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(at))
    throw new UsageError(`--at "${at}": expected HH:MM (24-hour), e.g. 09:00`);
  const site = options.site?.trim();
  if (site !== undefined && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(site))
    throw new UsageError(`--site "${options.site}": expected a Datadog site such as datadoghq.eu`);
  const choices: InitChoices = {
    datadog: options.datadog ? { site: site ?? 'datadoghq.com' } : undefined,
    grafana:
      options.grafana !== undefined
        ? {
            url: httpUrl('--grafana', options.grafana, 'https://grafana.example.com'),
            datasource: options.datasource!,
          }
        : undefined,
    prometheus:
      options.prometheus !== undefined
        ? { url: httpUrl('--prometheus', options.prometheus, 'http://prometheus:9090') }
        : undefined,
    email: options.email,
    slack: options.slack,
    timezone,
    at,
  };
  if (chosenSources(choices).length === 0) {
    throw new UsageError(
      'init: choose at least one source: --datadog [--site S], --grafana URL --datasource UID, or --prometheus URL',
    );
  }
  return choices;
}

/**
 * The `$schema` the config points at: the installed package's copy when scrumops is a dependency of
 * this project (versions always agree), else the published copy of this version.
 */
function schemaReference(cwd: string, version: string): string {
  const installed = join(cwd, 'node_modules/scrumops', schemaInPackage);
  if (existsSync(installed)) return relative(join(cwd, dirname(initPaths.config)), installed);
  return `https://unpkg.com/scrumops@${version}/${schemaInPackage}`;
}

export function initCommand(options: InitOptions, cli: CliEnv & { version: string }): number {
  const choices = initChoices(options, Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const context = { version: cli.version, schemaRef: schemaReference(cli.cwd, cli.version) };
  const files = [
    { path: initPaths.config, text: configText(choices, context) },
    ...(options.workflow ? [{ path: initPaths.workflow, text: workflowText(choices, context) }] : []),
  ];

  const existing = files.filter((f) => existsSync(resolve(cli.cwd, f.path)));
  if (existing.length > 0 && !options.force) {
    throw new UsageError(
      `init: ${existing.map((f) => f.path).join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing written (use --force to replace ${existing.length === 1 ? 'it' : 'them'})`,
    );
  }
  for (const file of files) {
    const target = resolve(cli.cwd, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text);
    cli.stdout(`${existing.includes(file) ? 'replaced' : 'wrote'} ${file.path}\n`);
  }

  const secrets = secretsToSet(choices);
  const lines = [
    '',
    'Next:',
    `  1. Edit ${initPaths.config}: your stacks, and the metric queries for your metric names.`,
  ];
  if (secrets.length > 0) {
    const width = Math.max(...secrets.map((s) => s.name.length));
    lines.push(
      '  2. Set these secrets in the repository (Settings → Secrets and variables → Actions, or `gh secret set NAME`),',
      '     and export them in your shell to check them locally:',
      ...secrets.map((s) => `       ${s.name.padEnd(width)}  ${s.what}`),
    );
  } else {
    lines.push('  2. No secrets needed for these choices.');
  }
  lines.push(
    '  3. Check sources, queries and channels with the real credentials:',
    '       npx scrumops doctor',
    '  4. See the report without sending anything:',
    '       npx scrumops report --dry-run',
  );
  if (options.workflow)
    lines.push(`  5. Commit both files; ${initPaths.workflow} then runs on weekday mornings.`);
  cli.stdout(`${lines.join('\n')}\n`);
  return exitCodes.ok;
}
