/**
 * Prometheus HTTP API payloads (https://prometheus.io/docs/prometheus/latest/querying/api/), checked
 * at the boundary. Only what the adapter reads is required; anything else passes through unread.
 */
import { z } from 'zod';

/** [unix seconds (may be fractional), value as a string: "1.5", "NaN", "+Inf", "-Inf"] */
const sample = z.tuple([z.number(), z.string()]);

export const matrixSeries = z.object({
  metric: z.record(z.string(), z.string()),
  values: z.array(sample).default([]),
});

/** 200 from /api/v1/query_range. */
export const rangeQuerySuccess = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(matrixSeries),
  }),
  warnings: z.array(z.string()).optional(),
  infos: z.array(z.string()).optional(),
});

/** 400 bad_data, 422 execution, 503 timeout … */
export const apiError = z.object({
  status: z.literal('error'),
  errorType: z.string().optional(),
  error: z.string(),
});

export type MatrixSeries = z.infer<typeof matrixSeries>;

/** A sample value as a number; NaN and ±Inf are gaps (null), never numbers. */
export function sampleValue(text: string): number | null {
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
