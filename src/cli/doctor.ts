/** `scrumops doctor`: the config, then one line per check from src/doctor; exit 1 when any failed. */
import { runDoctor, formatCheck } from '../doctor';
import { redact } from '../errors';
import { sleep } from '../net/retry';
import { exitCodes, readConfig, type CliEnv } from './commands';

export interface DoctorOptions {
  config?: string;
}

export async function doctorCommand(options: DoctorOptions, cli: CliEnv): Promise<number> {
  // Its warnings are shown below as `!` lines, once.
  const config = readConfig(options.config, cli, { printWarnings: false });
  const metrics = config.stacks.reduce((n, s) => n + s.metrics.length, 0);
  cli.stdout(
    `✔ config ${options.config ?? 'config/scrumops.yaml'}: ${config.sources.length} source(s), ${config.stacks.length} stack(s), ${metrics} metric(s)\n`,
  );
  const started = cli.now();
  const checks = await runDoctor(config, {
    logger: cli.logger,
    now: cli.now,
    sleep,
    random: Math.random,
    signal: new AbortController().signal,
    env: cli.env,
    cwd: cli.cwd,
  });
  for (const check of checks) cli.stdout(`${redact(formatCheck(check), config.secrets)}\n`);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  const seconds = ((cli.now() - started) / 1000).toFixed(1);
  cli.stdout(
    failed > 0
      ? `\n${failed} problem${failed === 1 ? '' : 's'} would make the next report wrong or keep it from arriving (${seconds} s).\n`
      : `\nAll set${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}: try \`npx scrumops report --dry-run\` (${seconds} s).\n`,
  );
  return failed > 0 ? exitCodes.runtime : exitCodes.ok;
}
