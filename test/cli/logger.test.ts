import { stderrLogger } from '../../src/cli/logger';

function capture(verbosity: 'quiet' | 'normal' | 'verbose', isTTY: boolean) {
  const out: string[] = [];
  return { out, logger: stderrLogger(verbosity, (text) => out.push(text), isTTY) };
}

describe('stderrLogger', () => {
  it('draws a progress bar on a terminal and clears it when the phase ends', () => {
    const { out, logger } = capture('normal', true);

    logger.progress?.('classify', 1, 4);
    logger.progress?.('classify', 4, 4);

    expect(out[0]).toBe('\rclassify [######..................] 1/4');
    expect(out.at(-1)).toBe('\r\x1b[K');
  });

  it('clears a bar left on the line before printing a message', () => {
    const { out, logger } = capture('normal', true);

    logger.progress?.('fetch', 1, 3);
    logger.info('fetch: 3 sources');

    expect(out.slice(1)).toEqual(['\r\x1b[K', 'fetch: 3 sources\n']);
  });

  it.each([
    ['not a terminal', 'normal', false],
    ['--quiet', 'quiet', true],
  ] as const)('draws no bar when %s', (_name, verbosity, isTTY) => {
    const { out, logger } = capture(verbosity, isTTY);

    logger.progress?.('fetch', 1, 3);

    expect(out).toEqual([]);
  });

  it('keeps warnings under --quiet and debug lines only under --verbose', () => {
    const quiet = capture('quiet', false);
    const verbose = capture('verbose', false);

    for (const { logger } of [quiet, verbose]) {
      logger.info('info');
      logger.warn('careful');
      logger.debug('detail');
    }

    expect(quiet.out).toEqual(['warning: careful\n']);
    expect(verbose.out).toEqual(['info\n', 'warning: careful\n', 'detail\n']);
  });
});
