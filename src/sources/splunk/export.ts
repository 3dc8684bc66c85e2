/**
 * Reading one export answer as it arrives: rows, messages, and whether it reached its last row.
 * A search that reports FATAL/ERROR fails with Splunk's own words; an answer that stops before its
 * last row is a cut connection (retried), never a short series read as if it were whole.
 */
import { RequestFailure } from '../http';
import { snippet } from '../http';
import type { Row } from './spl';
import { exportLine, type ExportLine, type SplunkMessage } from './schema';

export interface ExportAnswer {
  rows: Row[];
  /** WARN messages (e.g. "results might be incomplete"), for the log. */
  warnings: string[];
}

export async function readExport(
  sourceId: string,
  lines: AsyncIterable<string>,
  secretsScrubbed: (text: string) => string,
): Promise<ExportAnswer> {
  const rows: Row[] = [];
  const messages: SplunkMessage[] = [];
  let finished = false;
  let lineNo = 0;
  /** A line that is not JSON: the cut end of the answer if nothing follows it, else garbage. */
  let broken: number | undefined;
  const fail = (kind: 'malformed' | 'rejected' | 'network', message: string) =>
    new RequestFailure(sourceId, kind, secretsScrubbed(message));

  for await (const raw of lines) {
    lineNo++;
    const text = raw.trim();
    if (text === '') continue;
    if (broken !== undefined) throw fail('malformed', `line ${broken} of the export answer is not JSON`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      broken = lineNo;
      continue;
    }
    const line = asExportLine(json);
    if (!line) {
      throw fail(
        'malformed',
        `line ${lineNo} of the export answer is not a Splunk result line: ${snippet(text, 120)}`,
      );
    }
    messages.push(...(line.messages ?? []));
    if (line.preview === true) continue;
    if (line.result) rows.push(line.result);
    if (line.results) rows.push(...line.results);
    if (line.lastrow) finished = true;
  }

  const errors = messages.filter((m) => m.type === 'FATAL' || m.type === 'ERROR');
  if (errors.length > 0) {
    const said = [...new Set(errors.map((m) => `${m.type}: ${m.text}`))].join('; ');
    throw fail('rejected', `the search failed, Splunk says ${snippet(said)}`);
  }
  if (!finished) {
    throw fail(
      'network',
      `the export answer stopped before its last row (${rows.length} row${rows.length === 1 ? '' : 's'} read)`,
    );
  }
  const warnings = [...new Set(messages.filter((m) => m.type === 'WARN').map((m) => m.text))];
  return { rows, warnings };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One line checked against `exportLine`. Result lines (thousands per answer) take a quick path that
 * checks the same shape without zod's copying (~40 µs a line, most of the parse time); anything
 * else (messages, results arrays, odd lines) goes through the schema.
 */
function asExportLine(json: unknown): ExportLine | undefined {
  if (!isRecord(json)) return undefined;
  const { preview, lastrow, result } = json;
  const simple =
    (preview === undefined || typeof preview === 'boolean') &&
    (lastrow === undefined || typeof lastrow === 'boolean') &&
    (result === undefined || isRecord(result)) &&
    json.messages === undefined &&
    json.results === undefined;
  if (simple) return json;
  const parsed = exportLine.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
