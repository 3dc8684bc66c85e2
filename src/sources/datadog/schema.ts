/**
 * Zod schemas for the Datadog payloads this adapter reads. Most check what the official client hands
 * back after its own deserialisation, so field names are the client's camelCase (`tagSet`), not the
 * wire's snake_case; the timeseries answer, read from its text, is the exception. Only the fields we use are listed; the client
 * keeps everything else in `additionalProperties`, which zod strips.
 */
import { z } from 'zod';

/** A value in a series; Datadog sends null for a bucket without data (a gap, never a zero). */
const pointValue = z.number().nullable();

/**
 * POST /api/v2/query/timeseries as it comes over the wire (snake_case: the adapter reads this answer's
 * bytes itself, see TimeseriesReader). One shared `times` array, one `values` row per series. Rows
 * are only checked to be arrays here; their values are checked one by one as they are read into columns.
 */
export const timeseriesWireSchema = z.object({
  data: z
    .object({
      attributes: z.object({
        series: z
          .array(
            z.object({
              group_tags: z.array(z.string()).nullish(),
              query_index: z.number().int().nonnegative(),
            }),
          )
          .nullish(),
        times: z.array(z.number()).nullish(),
        values: z.array(z.custom<readonly unknown[]>((row) => Array.isArray(row))).nullish(),
      }),
    })
    .nullish(),
  errors: z.string().nullish(),
});

/** GET /api/v1/query: one entry per series, each with its own `interval` (seconds) and `pointlist`. */
export const v1QueryResponseSchema = z.object({
  status: z.string().nullish(),
  error: z.string().nullish(),
  series: z
    .array(
      z.object({
        interval: z.number().positive().nullish(),
        pointlist: z.array(z.tuple([z.number(), pointValue])).nullish(),
        queryIndex: z.number().int().nonnegative().nullish(),
        scope: z.string().nullish(),
        tagSet: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
});
export type V1QueryResponse = z.infer<typeof v1QueryResponseSchema>;

/**
 * GET /api/v2/events: a page of events and the cursor of the next page. `data` is required: an answer
 * without it (an error inside a 200, a proxy's page) is not an empty page, and counting it as one
 * would show "0 deployments" for a search that never ran.
 */
export const eventsListResponseSchema = z.object({
  data: z.array(
    z.object({
      id: z.string().nullish(),
      attributes: z
        .object({
          /** The client turns the ISO string into a Date (Invalid Date when unparseable). */
          timestamp: z.unknown().optional(),
          message: z.string().nullish(),
          tags: z.array(z.string()).nullish(),
          /**
           * The event's own attributes. Loose: events are routed to stacks by any of them (`service`,
           * `@evt.name`, …). An object, not a record: the client hands over class instances.
           */
          attributes: z
            .looseObject({ title: z.string().nullish(), timestamp: z.number().nullish() })
            .nullish(),
        })
        .nullish(),
    }),
  ),
  meta: z.object({ page: z.object({ after: z.string().nullish() }).nullish() }).nullish(),
});
export type EventsListResponse = z.infer<typeof eventsListResponseSchema>;
export type EventItem = NonNullable<EventsListResponse['data']>[number];

/** The error body Datadog sends with 4xx answers: `{ "errors": ["…"] }` (v1) or JSON:API objects (v2). */
export const apiErrorBodySchema = z.object({
  errors: z.array(
    z.union([z.string(), z.object({ title: z.string().nullish(), detail: z.string().nullish() })]),
  ),
});
