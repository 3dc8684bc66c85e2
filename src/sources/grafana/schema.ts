/**
 * Grafana HTTP API payloads, checked at the boundary:
 * - `POST /api/ds/query` answers `{ results: { [refId]: { frames?, error?, status? } } }` with data
 *   frames in Grafana's JSON form (schema.fields + data.values columns); NaN/±Inf travel as null
 *   plus their row indexes in `data.entities`.
 * - `GET /api/annotations` answers an array of annotations.
 * Only what the adapter reads is required.
 */
import { z } from 'zod';

export const frameField = z.object({
  name: z.string().optional(),
  /** "time", "number", "string", "boolean", "other" … */
  type: z.string().optional(),
  labels: z.record(z.string(), z.string()).nullish(),
  config: z.object({ interval: z.number().optional() }).loose().nullish(),
});

const rowIndexes = z.array(z.number().int()).nullish();

export const dataFrame = z.object({
  schema: z
    .object({
      name: z.string().optional(),
      refId: z.string().optional(),
      /** `type`: timeseries-wide/multi/long, table, numeric-*, … ; `custom.resultType`: "exemplar" for exemplars. */
      meta: z
        .looseObject({
          type: z.string().nullish(),
          custom: z.looseObject({ resultType: z.string().nullish() }).nullish(),
        })
        .nullish(),
      fields: z.array(frameField).default([]),
    })
    .optional(),
  data: z
    .object({
      /** One column per field. */
      values: z.array(z.array(z.unknown()).nullable()).default([]),
      /** Per field: rows whose value is NaN, +Inf or -Inf (sent as null in `values`). */
      entities: z
        .array(z.object({ NaN: rowIndexes, Inf: rowIndexes, NegInf: rowIndexes }).nullable())
        .nullish(),
    })
    .optional(),
});

export const queryResult = z.object({
  status: z.number().optional(),
  error: z.string().optional(),
  errorSource: z.string().optional(),
  /** Checked frame by frame (frames.ts), so one odd frame fails only its own refId. */
  frames: z.array(z.unknown()).nullish(),
});

/** 200 (and 400/207 when some queries failed). */
export const queryResponse = z.object({ results: z.record(z.string(), queryResult) });

/** Grafana's own error body (401, 404 "Data source not found", a malformed request …). */
export const apiError = z.object({ message: z.string().optional(), messageId: z.string().optional() });

export const annotation = z.object({
  id: z.number().optional(),
  /** epoch ms */
  time: z.number(),
  timeEnd: z.number().optional(),
  tags: z.array(z.string()).nullish(),
  text: z.string().nullish(),
  dashboardUID: z.string().nullish(),
  panelId: z.number().nullish(),
});

export const annotations = z.array(annotation);

export type DataFrame = z.infer<typeof dataFrame>;
export type QueryResult = z.infer<typeof queryResult>;
export type Annotation = z.infer<typeof annotation>;
