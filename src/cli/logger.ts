/** The CLI's logger: progress and warnings on stderr, so stdout carries only the requested output. */
import type { Logger } from '../logger';
import { printableLines, redact } from '../report/redact';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

const clearLine = '\r\x1b[K';

export function stderrLogger(
  verbosity: Verbosity,
  write: (line: string) => void = (l) => process.stderr.write(l),
  isTTY = process.stderr.isTTY === true,
  /** Secrets to scrub from every line; filled in once the config is read. */
  secrets: readonly string[] = [],
): Logger {
  let barShown = false;
  // A bar on the line being redrawn is cleared before a normal line is printed.
  const line = (text: string) => {
    if (barShown) write(clearLine);
    barShown = false;
    write(printableLines(redact(text.replace(/\n$/, ''), secrets)) + (text.endsWith('\n') ? '\n' : ''));
  };
  return {
    info: (m) => verbosity !== 'quiet' && line(`${m}\n`),
    warn: (m) => line(`warning: ${m}\n`),
    debug: (m) => verbosity === 'verbose' && line(`${m}\n`),
    progress: (phase, done, total) => {
      if (!isTTY || verbosity === 'quiet' || total < 2) return;
      const width = 24;
      const filled = Math.round((done / total) * width);
      write(`\r${phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      barShown = done < total;
      if (!barShown) write(clearLine);
    },
  };
}
