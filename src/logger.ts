/** Progress and diagnostics; the CLI writes them to stderr so stdout carries only requested output. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {} };
