#!/usr/bin/env node
/** The `scrumops` bin: parse arguments, call one command function, map errors to exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { describeFsError, removePendingTemporaryFilesSync } from '../atomic-write';
import { ConfigError, UsageError } from '../errors';
import { printableLines, redact } from '../report/redact';
import {
  backtestCommand,
  exitCodes,
  mergeCommand,
  postmortemCommand,
  reportCommand,
  validateCommand,
  type CliEnv,
} from './commands';
import { doctorCommand } from './doctor';
import { initCommand } from './init';
import { stderrLogger, type Verbosity } from './logger';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json is outside rootDir
const { version } = require('../../package.json') as { version: string };

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)];

/**
 * Every value the config read from ${VAR}, filled in by readConfig: everything this process writes to
 * stdout or stderr is scrubbed of them, error messages included.
 */
const runSecrets: string[] = [];

function cliEnv(verbosity: Verbosity): CliEnv {
  return {
    env: process.env,
    now: () => Date.now(),
    logger: stderrLogger(verbosity, undefined, undefined, runSecrets),
    phase: (phase) => {
      currentPhase = phase;
    },
    stdout: (text) => process.stdout.write(redact(text, runSecrets)),
    cwd: process.cwd(),
    secrets: runSecrets,
  };
}

const writeStderr = (text: string) => process.stderr.write(printableLines(redact(text, runSecrets)));

/** The delivery options `report` and `merge` share, as commander parsed them. */
function deliveryOptions(opts: Record<string, unknown>) {
  return {
    out: opts.out as string | undefined,
    format: opts.format as string | undefined,
    send: opts.send === true,
    dryRun: opts.dryRun === true,
    failOn: opts.failOn as 'bad' | 'unknown' | undefined,
  };
}

function verbosityOf(opts: { quiet?: boolean; verbose?: boolean }): Verbosity {
  return opts.verbose ? 'verbose' : opts.quiet ? 'quiet' : 'normal';
}

export function buildProgram(
  run: (action: (verbosity: Verbosity) => Promise<number>, verbosity: Verbosity) => void,
): Command {
  const program = new Command('scrumops')
    .description(
      'Daily health report for the post-standup scrum-ops review: good, normal, bad or unknown per stack.',
    )
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const common = (cmd: Command) =>
    cmd
      .option('--config <file>', 'config file (YAML or JSON)', undefined)
      .option('--stack <id>', 'only this stack (repeatable, or comma-separated)', collect, [])
      .option('--team <team>', "only this team's stacks (repeatable, or comma-separated)", collect, [])
      .option('--quiet', 'only warnings and errors on stderr')
      .option('--verbose', 'debug detail and stack traces on stderr');

  // What report and merge share: where the files go and how they are delivered.
  const delivery = (cmd: Command) =>
    cmd
      .option('--out <dir>', 'folder for report files (default: delivery.files.dir or out/)')
      .option('--format <list>', 'files to write: html,md,json,txt')
      .option('--send', 'deliver through the configured channels')
      .option('--dry-run', 'render everything, deliver nothing, say what would be sent to whom')
      .addOption(
        new Option('--fail-on <state>', 'exit 3 when any stack ends in this state').choices([
          'bad',
          'unknown',
        ]),
      );

  delivery(
    common(
      program.command('report').description("build today's report, write files, optionally deliver"),
    ).option(
      '--at <time>',
      'report time: ISO instant, or YYYY-MM-DD at report.at (default: the latest report.at not in the future)',
    ),
  ).action((opts: Record<string, unknown>) => {
    const verbosity = verbosityOf(opts);
    run(
      () =>
        reportCommand(
          {
            config: opts.config as string | undefined,
            at: opts.at as string | undefined,
            stack: opts.stack as string[],
            team: opts.team as string[],
            ...deliveryOptions(opts),
          },
          cliEnv(verbosity),
        ),
      verbosity,
    );
  });

  program
    .command('postmortem')
    .description(
      'write the blameless post-mortem starter of a stack as out/postmortem/<date>-<stack>.md, even when it is not bad today',
    )
    .requiredOption(
      '--stack <id>',
      'the stack (repeatable, or comma-separated)',
      (value: string, previous?: string[]) => collect(value, previous ?? []),
    )
    .option('--config <file>', 'config file (YAML or JSON)', undefined)
    .option(
      '--at <time>',
      'report time: ISO instant, or YYYY-MM-DD at report.at (default: the latest report.at not in the future)',
    )
    .option('--out <dir>', 'folder for the postmortem/ files (default: delivery.files.dir or out/)')
    .option('--quiet', 'only warnings and errors on stderr')
    .option('--verbose', 'debug detail and stack traces on stderr')
    .action((opts: Record<string, unknown>) => {
      const verbosity = verbosityOf(opts);
      run(
        () =>
          postmortemCommand(
            {
              config: opts.config as string | undefined,
              at: opts.at as string | undefined,
              stack: opts.stack as string[],
              out: opts.out as string | undefined,
            },
            cliEnv(verbosity),
          ),
        verbosity,
      );
    });

  common(
    program
      .command('backtest')
      .description('classify at every report time from --from through --to, fetching once'),
  )
    .requiredOption('--from <date>', 'first report time (date or ISO instant)')
    .requiredOption('--to <date>', 'last report time, inclusive')
    .option('--every <duration>', 'step between report times', '1d')
    .addOption(
      new Option('--format <format>', 'output on stdout').choices(['json', 'table']).default('table'),
    )
    .addOption(
      new Option('--fail-on <state>', 'exit 3 when any run has a stack in this state').choices([
        'bad',
        'unknown',
      ]),
    )
    .action((opts: Record<string, unknown>) => {
      const verbosity = verbosityOf(opts);
      run(
        () =>
          backtestCommand(
            {
              config: opts.config as string | undefined,
              from: opts.from as string,
              to: opts.to as string,
              every: opts.every as string,
              format: opts.format as 'json' | 'table',
              stack: opts.stack as string[],
              team: opts.team as string[],
              failOn: opts.failOn as 'bad' | 'unknown' | undefined,
            },
            cliEnv(verbosity),
          ),
        verbosity,
      );
    });

  delivery(
    program
      .command('merge')
      .description(
        'combine the report.json of shard runs (report --team …) into one fleet report, write files, optionally deliver',
      )
      .argument('<shard...>', "folders holding a shard run's report.json (or the files themselves)")
      .option('--config <file>', 'config file (YAML or JSON): delivery channels and stack order', undefined),
  )
    .option('--quiet', 'only warnings and errors on stderr')
    .option('--verbose', 'debug detail and stack traces on stderr')
    .action((shards: string[], opts: Record<string, unknown>) => {
      const verbosity = verbosityOf(opts);
      run(
        () =>
          mergeCommand(
            {
              config: opts.config as string | undefined,
              shards,
              ...deliveryOptions(opts),
            },
            cliEnv(verbosity),
          ),
        verbosity,
      );
    });

  program
    .command('validate')
    .description('check a config and print every problem with its path; exit 2 if any')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--verbose', 'stack traces on errors')
    .action((opts: { config?: string; verbose?: boolean }) => {
      const verbosity = verbosityOf(opts);
      run(() => Promise.resolve(validateCommand({ config: opts.config }, cliEnv(verbosity))), verbosity);
    });

  program
    .command('doctor')
    .description(
      'check sources, queries (last hour) and channels with the real credentials, sending nothing; exit 1 if any would fail',
    )
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--verbose', 'debug detail and stack traces on stderr')
    .action((opts: { config?: string; verbose?: boolean }) => {
      const verbosity = opts.verbose ? 'verbose' : 'quiet';
      run(() => doctorCommand({ config: opts.config }, cliEnv(verbosity)), verbosity);
    });

  program
    .command('init')
    .description('write a commented config/scrumops.yaml and a daily GitHub workflow for your sources')
    .option('--datadog', 'a Datadog source (secrets DD_API_KEY, DD_APP_KEY)')
    .option('--site <site>', 'Datadog site, e.g. datadoghq.eu (default datadoghq.com)')
    .option('--grafana <url>', 'a Grafana source at this URL (secret GRAFANA_TOKEN)')
    .option('--datasource <uid>', "the Grafana datasource's uid (a Prometheus datasource)")
    .option('--prometheus <url>', 'a Prometheus source at this URL')
    .option('--email', 'deliver by email (secret SMTP_URL)')
    .option('--slack', 'deliver to Slack (secret SLACK_WEBHOOK_URL)')
    .option('--timezone <zone>', "the report's IANA time zone (default: this machine's)")
    .option('--at <HH:MM>', 'local time the report window ends (default 09:00)')
    .option('--no-workflow', 'do not write .github/workflows/daily-report.yml')
    .option('--force', 'replace files that already exist')
    .action((opts: Record<string, unknown>) => {
      run(
        () =>
          Promise.resolve(
            initCommand(
              {
                datadog: opts.datadog === true,
                site: opts.site as string | undefined,
                grafana: opts.grafana as string | undefined,
                datasource: opts.datasource as string | undefined,
                prometheus: opts.prometheus as string | undefined,
                email: opts.email === true,
                slack: opts.slack === true,
                timezone: opts.timezone as string | undefined,
                at: opts.at as string | undefined,
                force: opts.force === true,
                workflow: opts.workflow !== false,
              },
              { ...cliEnv('normal'), version },
            ),
          ),
        'normal',
      );
    });
  return program;
}

/** Error → one readable line on stderr and an exit code; the stack trace only with --verbose. */
export function exitCodeFor(error: unknown, verbosity: Verbosity, write: (text: string) => void): number {
  if (error instanceof ConfigError) {
    write(`scrumops: ${error.message}\n`);
    return exitCodes.usage;
  }
  if (error instanceof UsageError) {
    write(`scrumops: ${error.message}\n`);
    return exitCodes.usage;
  }
  const err = error as Error;
  write(`scrumops: ${err.message ?? String(error)}\n`);
  if (verbosity === 'verbose' && err.stack) write(`${err.stack}\n`);
  else write('(run with --verbose for details)\n');
  return exitCodes.runtime;
}

/** What the current run is doing, for the drain guard and the signal handlers. */
let currentPhase = 'start';

/**
 * Run one command and set the exit code, with two guards around it:
 * - the drain guard: if Node runs out of work while the command is still pending (a promise that will
 *   never settle, e.g. a body read whose socket went away), the process would otherwise exit 0 with no
 *   files and no message — a green scheduled job and no report. It says so and exits 1 instead;
 * - SIGTERM/SIGINT: temporary files are removed (report files are only ever replaced whole, by rename),
 *   the phase is named, and the exit code is 1.
 */
export function runCommand(action: (verbosity: Verbosity) => Promise<number>, verbosity: Verbosity): void {
  let settled = false;
  const onDrain = () => {
    if (settled) return;
    settled = true;
    writeStderr(`scrumops: the run stopped before finishing (${currentPhase})\n`);
    process.exitCode = exitCodes.runtime;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    removePendingTemporaryFilesSync();
    writeStderr(
      `scrumops: stopped by ${signal} during the ${currentPhase} phase; no report file was left half-written\n`,
    );
    process.exit(exitCodes.runtime);
  };
  // stdout may be a full disk or a closed pipe: say so and exit 1, but let the run (files, channels) go on.
  let stdoutError: unknown;
  process.stdout.on('error', (error) => {
    stdoutError ??= error;
  });
  // The stream reports its error after the write returned, so look at the very end.
  process.once('exit', () => {
    if (stdoutError === undefined) return;
    writeStderr(`scrumops: cannot write to stdout: ${describeFsError(stdoutError)}\n`);
    if (process.exitCode !== exitCodes.usage) process.exitCode = exitCodes.runtime;
  });
  // Nothing to be done when stderr itself fails; it must not crash the run.
  process.stderr.on('error', () => undefined);
  process.on('beforeExit', onDrain);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  Promise.resolve()
    .then(() => action(verbosity))
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      process.exitCode = exitCodeFor(error, verbosity, writeStderr);
    })
    .finally(() => {
      settled = true;
      process.off('beforeExit', onDrain);
      // A signal after the work is done changes nothing: the default handling applies again.
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
}

function main(argv: string[]): void {
  const program = buildProgram(runCommand);
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; a usage mistake has already been printed.
      process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
      return;
    }
    throw error;
  }
}

if (require.main === module) main(process.argv);
