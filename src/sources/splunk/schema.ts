/**
 * Splunk's search export answer with `output_mode=json`, checked line by line at the boundary. The
 * body is newline-delimited JSON, one object per line (splunk-sdk-python's JSONResultsReader reads
 * it the same way):
 * - `{"preview":false,"offset":0,"result":{"_time":"…","p95(latency_ms)":"231.5"}}`: one result row,
 *   every value a string (a multivalue field: an array of strings);
 * - the last row also carries `"lastrow":true`; an answer with no rows is `{"preview":false,"lastrow":true}`;
 * - `{"preview":false,"messages":[{"type":"FATAL","text":"…"}]}`: the search's messages (INFO, WARN,
 *   ERROR, FATAL);
 * - `"preview":true` lines are interim results of a transforming search and are skipped.
 * An error before the search starts (bad SPL, wrong namespace) is an HTTP 400/404 whose body is
 * `{"messages":[{"type":"ERROR","text":"…"}]}`.
 */
import { z } from 'zod';

export const splunkMessage = z.object({
  type: z.string().default('INFO'),
  text: z.string().default(''),
});

export const exportLine = z
  .object({
    preview: z.boolean().optional(),
    offset: z.number().optional(),
    lastrow: z.boolean().optional(),
    result: z.record(z.string(), z.unknown()).optional(),
    results: z.array(z.record(z.string(), z.unknown())).optional(),
    messages: z.array(splunkMessage).optional(),
  })
  .loose();

export type SplunkMessage = z.infer<typeof splunkMessage>;
export type ExportLine = z.infer<typeof exportLine>;
