/**
 * The CLI's argument parsing as the bin runs it, without running a command or exiting: what commander
 * printed, the exit code it would have ended with (0, or 2 for a usage mistake), and whether a command
 * was started.
 */
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main';

export function parseCli(args: string[]): { code: number; out: string; err: string; ran: boolean } {
  let out = '';
  let err = '';
  let ran = false;
  const program = buildProgram(() => {
    ran = true;
  });
  for (const cmd of [program, ...program.commands]) {
    cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    cmd.exitOverride();
  }
  try {
    program.parse(['node', 'scrumops', ...args]);
    return { code: 0, out, err, ran };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { code: error.exitCode === 0 ? 0 : 2, out, err, ran };
  }
}
