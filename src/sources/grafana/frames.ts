/**
 * Grafana data frames (the JSON form of `POST /api/ds/query` answers) to series, for every shape a
 * datasource sends (https://grafana.com/developers/dataplane/timeseries):
 *
 * - **wide / multi** (`timeseries-wide`, `timeseries-multi`, Prometheus' usual answer): a time field
 *   and number fields, each number field one series with its `labels`;
 * - **long** (`timeseries-long`, and SQL datasources' `table` answers): a time field, string fields
 *   and number fields, several rows per time; rows are split into series by their string values, which
 *   become labels (`{ service: "checkout" }`), so two services are never averaged into one;
 * - **skipped**: exemplar frames (`meta.custom.resultType: "exemplar"`, or a frame named `exemplar`),
 *   non-timeseries frames (`numeric-*`, `heatmap-*`, `log-lines`, `directory-listing` …) and frames
 *   without a time field: they hold no series for a metric.
 *
 * Anything else is refused with a FrameError, the one error this module throws: a frame with
 * several rows per time and no string column to tell its series apart cannot be read without guessing.
 */
import { dataFrame, type DataFrame } from './schema';
import type { Point } from '../types';

/** A frame we cannot map to series without guessing; its message says why, in the user's terms. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** One value field of a frame (or one row group of a long frame): a series with its labels. */
export interface FrameSeries {
  labels: Record<string, string>;
  points: Point[];
  stepMs?: number;
}

export interface FramesRead {
  series: FrameSeries[];
  /** Frames left out, in words (exemplars, non-timeseries). */
  skipped: string[];
}

/** Frame types that hold time series; a frame without `meta.type` is judged by its fields. */
const timeseriesTypes = /^(timeseries-(wide|multi|long|many)|table)$/;

/**
 * Read every frame of one refId as series over [start, end). Throws FrameError only; a frame that is
 * not a frame at all (wrong JSON shape) is a FrameError too.
 */
export function readFrames(frames: readonly unknown[], range: { start: number; end: number }): FramesRead {
  const out: FramesRead = { series: [], skipped: [] };
  frames.forEach((raw, index) => {
    const parsed = dataFrame.safeParse(raw);
    if (!parsed.success) {
      throw new FrameError(
        `frame ${index + 1} is not a Grafana data frame (${parsed.error.issues[0]?.path.join('.') || 'frame'}: ${parsed.error.issues[0]?.message ?? 'invalid'})`,
      );
    }
    const frame = parsed.data;
    const why = skipReason(frame);
    if (why) {
      out.skipped.push(`frame ${index + 1} (${frameName(frame, index)}): ${why}`);
      return;
    }
    out.series.push(...frameSeries(frame, index, range));
  });
  return out;
}

function frameName(frame: DataFrame, index: number): string {
  return frame.schema?.name || frame.schema?.refId || `#${index + 1}`;
}

function skipReason(frame: DataFrame): string | undefined {
  const meta = frame.schema?.meta;
  const resultType = meta?.custom?.resultType;
  if (resultType === 'exemplar' || frame.schema?.name === 'exemplar') return 'exemplars, not a series';
  if (typeof meta?.type === 'string' && meta.type !== '' && !timeseriesTypes.test(meta.type))
    return `a ${meta.type} frame, not a time series`;
  const fields = frame.schema?.fields ?? [];
  if (!fields.some((f) => f.type === 'time')) return 'no time field';
  if (!fields.some((f) => f.type === 'number')) return 'no number field';
  return undefined;
}

function frameSeries(frame: DataFrame, index: number, range: { start: number; end: number }): FrameSeries[] {
  const fields = frame.schema?.fields ?? [];
  const columns = frame.data?.values ?? [];
  const timeIndex = fields.findIndex((f) => f.type === 'time');
  const times = columns[timeIndex] ?? [];
  const interval = fields[timeIndex]?.config?.interval;
  const step = typeof interval === 'number' && interval > 0 ? { stepMs: interval } : {};
  const valueIndexes = fields.flatMap((f, i) => (f.type === 'number' ? [i] : []));
  const textIndexes = fields.flatMap((f, i) => (f.type === 'string' ? [i] : []));
  const numberFields = valueIndexes.length;

  /** Row → its value in field i as a Point value (NaN/±Inf entities and non-numbers are gaps). */
  const valueOf = (i: number) => {
    const column = columns[i] ?? [];
    const entities = frame.data?.entities?.[i];
    const special = new Set([
      ...(entities?.NaN ?? []),
      ...(entities?.Inf ?? []),
      ...(entities?.NegInf ?? []),
    ]);
    return (row: number): number | null => {
      const v = column[row];
      return !special.has(row) && typeof v === 'number' && Number.isFinite(v) ? v : null;
    };
  };
  const labelsOf = (i: number): Record<string, string> => {
    const field = fields[i]!;
    const labels = { ...(field.labels ?? {}) };
    // Several value fields without labels tell themselves apart by name.
    if (numberFields > 1 && Object.keys(labels).length === 0 && field.name) labels.__field__ = field.name;
    return labels;
  };

  if (textIndexes.length === 0) {
    // Wide: one series per number field. Two rows at one time would be two series mixed.
    const seen = new Set<number>();
    for (const t of times) {
      const at = toEpochMs(t);
      if (at === undefined) continue;
      if (seen.has(at)) {
        throw new FrameError(
          `frame ${index + 1} (${frameName(frame, index)}) has several rows at one time and no text column to tell its series apart; give the query a label or a text column per series`,
        );
      }
      seen.add(at);
    }
    return valueIndexes.map((i) => {
      const value = valueOf(i);
      const points: Point[] = [];
      times.forEach((t, row) => {
        const at = toEpochMs(t);
        if (at !== undefined && at >= range.start && at < range.end) points.push([at, value(row)]);
      });
      return { labels: labelsOf(i), points, ...step };
    });
  }

  // Long: rows grouped by their text values; each group and number field is one series.
  const groups = new Map<string, { labels: Record<string, string>; rows: number[] }>();
  times.forEach((_t, row) => {
    const labels: Record<string, string> = {};
    for (const i of textIndexes) {
      const v = columns[i]?.[row];
      labels[fields[i]!.name || `field${i}`] =
        typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
    }
    const key = JSON.stringify(labels);
    const group = groups.get(key) ?? { labels, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  });
  const out: FrameSeries[] = [];
  for (const group of groups.values()) {
    for (const i of valueIndexes) {
      const value = valueOf(i);
      const points: Point[] = [];
      for (const row of group.rows) {
        const at = toEpochMs(times[row]);
        if (at !== undefined && at >= range.start && at < range.end) points.push([at, value(row)]);
      }
      points.sort((a, b) => a[0] - b[0]);
      out.push({ labels: { ...labelsOf(i), ...group.labels }, points, ...step });
    }
  }
  return out;
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : at;
  }
  return undefined;
}
