/**
 * Reading one export answer as it arrives: rows, messages, and whether it reached its last row.
 * A search that reports FATAL/ERROR fails with Splunk's own words; an answer that stops before its
 * last row is retried, never a short series read as if it were whole. A connection cut mid-answer
 * never gets here as lines: the network edge ends the lines with its own failure (cut short, too
 * large, timeout), so every line read here arrived whole, and one that is not a Splunk result line
 * (a proxy's HTML page, JSON of another shape) is a malformed answer, not retried.
 */
import { redact } from '../../errors';
import { safeText, secretForms } from '../../net/text';
import { RequestFailure } from '../http';
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
  /** The source's credentials: scrubbed from every word of the answer quoted in a message. */
  secrets: readonly string[],
): Promise<ExportAnswer> {
  const rows: Row[] = [];
  const messages: SplunkMessage[] = [];
  let finished = false;
  let lineNo = 0;
  const fail = (kind: 'malformed' | 'rejected' | 'network', message: string) =>
    new RequestFailure(sourceId, kind, redact(message, secretForms(secrets)));
  // Splunk's text is outside text: scrubbed and flattened before it is cut, never after.
  const quote = (text: string, max: number) => safeText(text, secrets, max);

  for await (const raw of lines) {
    lineNo++;
    const text = raw.trim();
    if (text === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw fail('malformed', `line ${lineNo} of the export answer is not JSON: ${quote(text, 120)}`);
    }
    const line = asExportLine(json);
    if (!line) {
      throw fail(
        'malformed',
        `line ${lineNo} of the export answer is not a Splunk result line: ${quote(text, 120)}`,
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
    throw fail('rejected', `the search failed, Splunk says ${quote(said, 300)}`);
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
  // Every line splunkd writes says what it is: a row (preview, result, lastrow) or messages.
  if (!['preview', 'lastrow', 'result', 'results', 'messages'].some((key) => key in json)) return undefined;
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
