/** Progress and diagnostics; the CLI writes them to stderr so stdout carries only requested output. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** How far a long phase has come; drawn as a bar on a terminal, ignored elsewhere. */
  progress?(phase: string, done: number, total: number): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {} };
