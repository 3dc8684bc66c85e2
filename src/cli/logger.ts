/** The CLI's logger: progress and warnings on stderr, so stdout carries only the requested output. */
import type { Logger } from '../logger';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export function stderrLogger(
  verbosity: Verbosity,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  return {
    info: (m) => verbosity !== 'quiet' && write(`${m}\n`),
    warn: (m) => write(`warning: ${m}\n`),
    debug: (m) => verbosity === 'verbose' && write(`${m}\n`),
  };
}
