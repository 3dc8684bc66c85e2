/**
 * Writing the report files. They are written before any channel is tried, so nothing is ever lost,
 * and written whole or not at all (src/atomic-write.ts): everything is rendered first, then every file
 * goes to a temporary name and is renamed into place, report.json last — a reader that sees the new
 * report.json sees the whole new set.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { FileWriteError, writeFilesAtomically, type WriteOps } from '../atomic-write';
import { renderHtml } from '../render/html';
import { renderMarkdown } from '../render/markdown';
import { postmortemFile, postmortemFiles } from '../render/postmortem';
import { renderText } from '../render/text';
import type { Report } from '../report/types';

export const fileFormats = ['html', 'md', 'json', 'txt'] as const;
export type FileFormat = (typeof fileFormats)[number];

/** report.json is the index: renamed last. */
const writeOrder: readonly FileFormat[] = ['html', 'md', 'txt', 'json'];

export async function writeReportFiles(
  report: Report,
  outDir: string,
  formats: readonly FileFormat[],
  ops?: WriteOps,
): Promise<string[]> {
  const ordered = writeOrder.filter((f) => formats.includes(f));
  const rendered = await Promise.all(
    ordered.map(async (format) => ({
      path: join(outDir, `report.${format}`),
      data: await renderFile(report, format),
    })),
  );
  // With the Markdown files come the post-mortem starters of the bad stacks, before report.json.
  const postmortems = formats.includes('md')
    ? postmortemFiles(report).map((f) => ({ path: join(outDir, f.path), data: f.text }))
    : [];
  const files = [...rendered.slice(0, -1), ...postmortems, ...rendered.slice(-1)];
  try {
    await mkdir(outDir, { recursive: true });
    if (postmortems.length > 0) await mkdir(join(outDir, 'postmortem'), { recursive: true });
  } catch (error) {
    throw new FileWriteError(outDir, error);
  }
  await writeFilesAtomically(files, ops);
  return files.map((f) => f.path);
}

/** The post-mortem starter of every stack in `report`, bad or not (`scrumops postmortem`). */
export async function writePostmortemFiles(
  report: Report,
  outDir: string,
  ops?: WriteOps,
): Promise<string[]> {
  const files = report.stacks.map((s) => {
    const f = postmortemFile(report, s);
    return { path: join(outDir, f.path), data: f.text };
  });
  try {
    await mkdir(join(outDir, 'postmortem'), { recursive: true });
  } catch (error) {
    throw new FileWriteError(outDir, error);
  }
  await writeFilesAtomically(files, ops);
  return files.map((f) => f.path);
}

async function renderFile(report: Report, format: FileFormat): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return renderMarkdown(report);
    case 'txt':
      return renderText(report);
    case 'html':
      return (await renderHtml(report, { images: 'inline' })).html;
  }
}
