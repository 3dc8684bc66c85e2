/**
 * Reading recorded series: CSV with a `timestamp,value` header (ISO with offset, `YYYY-MM-DD HH:MM:SS`
 * in the source's time zone as in the Numenta Anomaly Benchmark files, or epoch seconds/ms) and JSON
 * `[[epochMs, value], …]`. A bad row is an error naming the file and line.
 */
import { TZDate } from '@date-fns/tz';
import { UsageError } from '../../errors';
import { safeText } from '../../report/redact';
import type { Point } from '../types';

/** A piece of a data file quoted in a message: one line, at most 120 characters (a 2 MB line is not echoed). */
const quote = (text: string) => safeText(text, [], 120);

const localStamp = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

/** Epoch ms of one timestamp cell, or undefined when it does not parse. */
export function parseTimestamp(cell: string, timezone: string): number | undefined {
  const text = cell.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n); // seconds until the year 5138
  }
  const local = localStamp.exec(text);
  if (local) {
    const [y, mo, d, h, mi, s, frac] = local.slice(1).map((x) => Number(x ?? 0));
    const ms = frac ? Math.round(Number(`0.${local[7]}`) * 1000) : 0;
    const date = new TZDate(y!, mo! - 1, d!, h!, mi!, s!, ms, timezone);
    // TZDate rolls 2026-02-30 or hour 25 over to another day; a real stamp keeps its fields.
    const real =
      date.getFullYear() === y &&
      date.getMonth() === mo! - 1 &&
      date.getDate() === d &&
      date.getMinutes() === mi;
    return real && !Number.isNaN(+date) ? +date : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function parseValue(cell: string | undefined): number | null | undefined {
  const text = (cell ?? '').trim();
  if (text === '' || /^(null|nan|none)$/i.test(text)) return null;
  const n = Number(text);
  if (Number.isFinite(n)) return n;
  return /^[+-]?inf(inity)?$/i.test(text) ? null : undefined;
}

/** A timestamped CSV row: its line number, its cells and its time. */
interface CsvRow {
  line: number;
  cells: string[];
  at: number;
}

/**
 * The header's lower-cased column names and every non-empty row with its timestamp parsed; a row whose
 * timestamp does not parse is an error naming the file and line.
 */
function readCsv(
  text: string,
  file: string,
  timezone: string,
  expected: string,
): { header: string[]; rows: CsvRow[] } {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '')
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  const tsCol = header.indexOf('timestamp');
  if (tsCol < 0)
    throw new UsageError(`${file}:1: expected a header "${expected}", found "${quote(lines[0] ?? '')}"`);
  const rows: CsvRow[] = [];
  lines.forEach((text, i) => {
    if (i === 0 || text.trim() === '') return;
    const cells = text.split(',');
    const at = parseTimestamp(cells[tsCol] ?? '', timezone);
    if (at === undefined) {
      throw new UsageError(`${file}:${i + 1}: timestamp "${quote(cells[tsCol] ?? '')}" does not parse`);
    }
    rows.push({ line: i + 1, cells, at });
  });
  return { header, rows };
}

export function parseCsv(text: string, file: string, timezone: string): Point[] {
  const expected = 'timestamp,value';
  const { header, rows } = readCsv(text, file, timezone, expected);
  const valueCol = header.indexOf('value');
  if (valueCol < 0)
    throw new UsageError(`${file}:1: expected a header "${expected}", found "${quote(header.join(','))}"`);
  const points = rows.map(({ line, cells, at }): Point => {
    const value = parseValue(cells[valueCol]);
    if (value === undefined)
      throw new UsageError(`${file}:${line}: value "${quote(cells[valueCol] ?? '')}" is not a number`);
    return [at, value];
  });
  return finish(points, file);
}

export function parseJson(text: string, file: string): Point[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${quote((error as Error).message)})`);
  }
  if (!Array.isArray(data)) throw new UsageError(`${file}: expected an array of [epochMs, value] pairs`);
  const points = data.map((row: unknown, i): Point => {
    const ok =
      Array.isArray(row) &&
      row.length >= 2 &&
      typeof row[0] === 'number' &&
      (row[1] === null || typeof row[1] === 'number');
    if (!ok) throw new UsageError(`${file}: item [${i}] is not an [epochMs, value] pair`);
    return [row[0] as number, row[1] as number | null];
  });
  return finish(points, file);
}

function finish(points: Point[], file: string): Point[] {
  if (points.length === 0) throw new UsageError(`${file}: holds no data rows`);
  return points.sort((a, b) => a[0] - b[0]);
}

/** Events recorded as CSV `timestamp,title` (a `value` column is read as the title when there is no title). */
export function parseEventsCsv(
  text: string,
  file: string,
  timezone: string,
): { at: number; title: string }[] {
  const { header, rows } = readCsv(text, file, timezone, 'timestamp,title');
  const titleCol = header.includes('title') ? header.indexOf('title') : header.indexOf('value');
  // The title is the rest of the line: titles may hold commas.
  return rows.map(({ cells, at }) => ({
    at,
    title: titleCol >= 0 ? cells.slice(titleCol).join(',').trim() : '',
  }));
}
