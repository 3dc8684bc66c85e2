/**
 * The GitHub Actions job summary: the Markdown report appended to `$GITHUB_STEP_SUMMARY` (kept under
 * GitHub's 1 MiB a step), plus annotations on the run page for bad stacks and failing sources.
 *
 * Setting `auto` delivers only when the variable is set, i.e. inside GitHub Actions, and is skipped
 * anywhere else; `true` insists (a missing variable is a failure); `false` turns the channel off.
 */
import { appendFile, stat } from 'node:fs/promises';

import { redact } from '../../errors';
import type { DeliveryChannel, DeliveryContext, DeliveryResult } from '../types';
import { reportAnnotations } from './annotations';
import { fitSummary, summaryLimitBytes } from './fit';
import { redactReport } from '../../report/redact';

export { annotation, escapeData, escapeProperty, reportAnnotations } from './annotations';
export { fitSummary, summaryLimitBytes } from './fit';

export interface GithubSummaryOptions {
  /**
   * Where workflow commands go, one line per call. GitHub reads them from the step's stdout, which
   * is the default; tests pass a function that collects the lines.
   */
  write?: (line: string) => void;
  /** Bytes of the 1 MiB limit left unused, as head-room for other writers. Default 1 KiB. */
  reserveBytes?: number;
}

const writeStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

export function createGithubSummaryChannel(
  setting: 'auto' | boolean,
  options: GithubSummaryOptions = {},
): DeliveryChannel {
  const name = 'github-summary';
  const write = options.write ?? writeStdout;
  const reserve = options.reserveBytes ?? 1024;

  return {
    name,
    async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      const scrub = (text: string) => redact(text, ctx.secrets);
      const path = ctx.env.GITHUB_STEP_SUMMARY;
      if (setting === false)
        return { channel: name, status: 'skipped', detail: 'turned off (githubSummary: false)' };
      if (!path) {
        if (setting === 'auto') {
          return {
            channel: name,
            status: 'skipped',
            detail: 'not running in GitHub Actions (GITHUB_STEP_SUMMARY is not set)',
          };
        }
        return {
          channel: name,
          status: 'failed',
          error: 'githubSummary is true but GITHUB_STEP_SUMMARY is not set',
        };
      }

      try {
        const existing = await sizeOf(path);
        const separator = existing > 0 ? '\n' : '';
        const budget = summaryLimitBytes - existing - separator.length - reserve;
        if (budget < 4096) {
          return {
            channel: name,
            status: 'failed',
            error: `the job summary already holds ${existing} bytes of GitHub's ${summaryLimitBytes}`,
          };
        }
        const report = redactReport(ctx.report, ctx.secrets);
        const { markdown, omitted } = fitSummary(report, budget);
        const text = scrub(markdown);
        const annotations = reportAnnotations(report).map(scrub);
        const size = Buffer.byteLength(text, 'utf8');
        const shortened = omitted.length ? `, shortened (left out the ${omitted.join(', ')})` : '';
        const what = `${size} bytes of Markdown${shortened} and ${annotations.length} annotations`;

        if (ctx.dryRun) {
          ctx.logger.info(`github-summary: would append ${what} to $GITHUB_STEP_SUMMARY`);
          return { channel: name, status: 'dry-run', detail: `would append ${what} to $GITHUB_STEP_SUMMARY` };
        }

        // Append, never overwrite: earlier writers in the same step keep their part.
        await appendFile(path, separator + text, 'utf8');
        for (const line of annotations) write(line);
        ctx.logger.info(`github-summary: appended ${what}`);
        return { channel: name, status: 'sent', detail: `appended ${what} to $GITHUB_STEP_SUMMARY` };
      } catch (error) {
        const message = scrub(
          `could not write the job summary: ${(error as Error).message ?? String(error)}`,
        );
        ctx.logger.warn(`github-summary: ${message}`);
        return { channel: name, status: 'failed', error: message };
      }
    },
  };
}
