/**
 * Series held as columns: one shared Float64Array of times per answer, one Float64Array of values per
 * series (NaN where the provider sent null), and windows as index ranges over them. A 500-stack fleet's
 * 8 days are ~2.3 million readings: as `[t, v]` tuples they cost ~130 MB and the collector's time; as
 * columns, ~20 MB. The tuples classify reads are built when `points` is read and dropped after.
 */
import type { Point, Series } from './types';

/** Index of the first time at or after t (times sorted). */
export function lowerIndex(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Readings in [start, end) as columns: views over the same buffers, nothing copied. */
export interface Columns {
  times: Float64Array;
  /** NaN: no data (a gap, never a zero). */
  values: Float64Array;
}

export const noColumns: Columns = { times: new Float64Array(0), values: new Float64Array(0) };

export function sliceColumns(columns: Columns, start: number, end: number): Columns {
  const from = lowerIndex(columns.times, start);
  const to = Math.max(from, lowerIndex(columns.times, end));
  return { times: columns.times.subarray(from, to), values: columns.values.subarray(from, to) };
}

/** Columns from tuples (an answer that came as a point list). */
export function columnsOf(points: readonly (readonly [number, number | null])[]): Columns {
  const times = new Float64Array(points.length);
  const values = new Float64Array(points.length);
  points.forEach(([t, v], i) => {
    times[i] = t;
    values[i] = v ?? NaN;
  });
  return { times, values };
}

export function pointsOf(columns: Columns): Point[] {
  const { times, values } = columns;
  const out: Point[] = new Array<Point>(times.length);
  for (let i = 0; i < times.length; i++) {
    const v = values[i]!;
    out[i] = [times[i]!, Number.isNaN(v) ? null : v];
  }
  return out;
}

/** A Series whose points live in columns; each read of `points` builds fresh tuples. */
export class ColumnSeries implements Series {
  constructor(
    readonly stackId: string,
    readonly metricId: string,
    readonly columns: Columns,
    readonly stepMs?: number,
  ) {}

  get points(): Point[] {
    return pointsOf(this.columns);
  }
}

const converted = new WeakMap<Series, Columns>();

/**
 * A series' readings as columns: its own when it holds them, else converted once from its points (the
 * sources that answer in point lists), so every report time of a history reads the same columns.
 */
export function columnsOfSeries(series: Series): Columns {
  if (series instanceof ColumnSeries) return series.columns;
  let columns = converted.get(series);
  if (!columns) {
    columns = columnsOf(series.points);
    converted.set(series, columns);
  }
  return columns;
}
