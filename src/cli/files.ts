/** Writing the report files. They are written before any channel is tried, so nothing is ever lost. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from '../render/html';
import { renderMarkdown } from '../render/markdown';
import { renderText } from '../render/text';
import type { Report } from '../report/types';

export const fileFormats = ['html', 'md', 'json', 'txt'] as const;
export type FileFormat = (typeof fileFormats)[number];

export async function writeReportFiles(
  report: Report,
  outDir: string,
  formats: readonly FileFormat[],
): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const format of formats) {
    const path = join(outDir, `report.${format}`);
    writeFileSync(path, await renderFile(report, format));
    written.push(path);
  }
  return written;
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
