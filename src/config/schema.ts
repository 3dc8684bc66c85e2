/**
 * The config file contract (design §3) as zod schemas. `load.ts` parses YAML/JSON, substitutes
 * ${VAR}s, runs these schemas and then resolves templates into `ResolvedConfig` (see types.ts).
 */
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected lower-case letters, digits, - or _');
const httpUrl = z.string().refine((s) => /^https?:\/\/[^\s]+$/i.test(s), 'expected an http(s):// URL');
const duration = z.string().regex(/^\d+(m|h|d)$/, 'expected a duration such as 24h, 90m or 1d');
const minutesOf = (text: string) =>
  Number(text.slice(0, -1)) * { m: 1, h: 60, d: 1440 }[text.slice(-1) as 'm'];
/** A report window: a day is the usual, a week the most that one report makes sense of. */
const windowDuration = duration
  .refine((text) => minutesOf(text) > 0, 'must be longer than 0')
  .refine((text) => minutesOf(text) <= 7 * 1440, 'at most 7d (a week) per report window');
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

export const thresholdsSchema = z
  .object({
    /** Below this share of expected points in the current window the metric is unknown. */
    minCoverage: z.number().min(0).max(1),
    /** Fewer baseline windows with data than this: unknown. */
    minBaselineWindows: z.number().int().min(1),
    /** Deviation score (in usual day-to-day spreads) beyond which the daily aggregate is clearly different. */
    score: z.number().positive(),
    /** Relative change the daily aggregate must also exceed (0.2 = 20%). */
    minChange: z.number().min(0),
    /** Score beyond which a stretch of the day counts as outside the usual band. */
    episodeScore: z.number().positive(),
    /** Relative change each point of an episode must also exceed. */
    episodeMinChange: z.number().min(0),
    /** Shortest stretch that makes an episode, in minutes. Shorter blips are ignored. */
    episodeMinMinutes: z.number().positive(),
    /**
     * A reading counts as outside only beyond what every baseline day did at that time of day, by this
     * share of that day's distance from the median again (0.5: half again as far).
     */
    episodeMargin: z.number().min(0),
    /**
     * A spike: any reading beyond the most extreme baseline reading by this share of its distance from
     * the baseline median again (0.5: half again as far), and `score` spreads from the median.
     */
    spikeMargin: z.number().min(0),
    /** A long, milder shift also makes an episode: its score, relative change and shortest length. */
    sustainedScore: z.number().positive(),
    sustainedMinChange: z.number().min(0),
    sustainedMinMinutes: z.number().positive(),
  })
  .partial()
  .strict();

const slo = z
  .object({ min: z.number().optional(), max: z.number().optional() })
  .strict()
  .refine((s) => s.min !== undefined || s.max !== undefined, 'give min, max or both');

export const directions = ['lower', 'higher', 'neutral'] as const;
export const aggregations = ['mean', 'median', 'p95', 'max', 'min', 'sum', 'last'] as const;

export const metricSchema = z
  .object({
    label: z.string().min(1).optional(),
    source: z.string().min(1),
    query: z.string().min(1),
    unit: z.string().optional(),
    direction: z.enum(directions).default('lower'),
    aggregation: z.enum(aggregations).default('mean'),
    /**
     * ratio (default): 0 means "nothing", so changes are judged relative to the usual value too.
     * interval: 0 is arbitrary (temperatures, offsets, scores): judged on absolute deviation only.
     */
    scale: z.enum(['ratio', 'interval']).default('ratio'),
    /**
     * This metric's own baseline: `weekly` compares it with the same weekday of previous weeks (a
     * weekly rhythm: a quiet Sunday is judged against Sundays), whatever report.baseline.mode says.
     */
    baseline: z
      .object({ mode: z.enum(['daily', 'weekly']) })
      .strict()
      .optional(),
    slo: slo.optional(),
    /** Readings below min or above max are impossible (an error rate of −40%): left out as invalid. */
    min: z.number().optional(),
    max: z.number().optional(),
    critical: z.boolean().default(false),
    weight: z.number().positive().default(1),
    thresholds: thresholdsSchema.optional(),
  })
  .strict();

const inlineMetric = metricSchema.extend({ id });

const eventQuery = z.object({ source: z.string().min(1), query: z.string().min(1) }).strict();

/** Incidents of the stack's PagerDuty service (a `pagerduty` source). */
const incidentQuery = z
  .object({
    source: z.string().min(1),
    /** The PagerDuty service id, e.g. PX1ABCD (Services → the service: the id ends its page URL). */
    service: z.string().regex(/^[A-Z0-9]+$/, 'expected a PagerDuty service id such as PX1ABCD'),
  })
  .strict();

export const stackSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/, 'expected [a-z0-9-]+'),
    name: z.string().min(1).optional(),
    team: z.string().min(1).optional(),
    vars: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
    metrics: z.array(z.union([z.string().min(1), inlineMetric])).min(1),
    links: z.record(z.string(), httpUrl).default({}),
    /** Overrides report.deployLink for this stack. */
    deployLink: duration.optional(),
    events: z
      .object({
        deployments: eventQuery.optional(),
        alerts: eventQuery.optional(),
        incidents: incidentQuery.optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

const retryOptions = {
  /** Per-request timeout in milliseconds. */
  timeoutMs: z.number().int().positive().optional(),
  /** Attempts per request, the first included. */
  maxAttempts: z.number().int().min(1).max(10).optional(),
  /** Largest answer accepted, in bytes after decompression (default 256 MB); a larger one is never retried. */
  maxResponseBytes: z.number().int().positive().optional(),
};

/** TLS for an https url: a private CA, or (for a self-signed test server only) no verification. */
export const tlsSchema = z
  .object({
    /** PEM file of the CA(s) to trust besides the system's, relative to the config file. */
    caFile: z.string().min(1).optional(),
    /**
     * Skip certificate verification. Never on a production link: anyone in between can read the token.
     * Every load of the config warns about it (doctor shows a `!` line), naming the source.
     */
    insecure: z.boolean().optional(),
  })
  .strict();

export const datadogSourceSchema = z
  .object({
    id,
    type: z.literal('datadog'),
    site: z.string().min(1).optional(),
    url: httpUrl.optional(),
    apiKey: z.string().min(1),
    appKey: z.string().min(1),
    ...retryOptions,
  })
  .strict();

export const grafanaSourceSchema = z
  .object({
    id,
    type: z.literal('grafana'),
    url: httpUrl,
    token: z.string().min(1),
    datasource: z.object({ uid: z.string().min(1), type: z.string().min(1).default('prometheus') }).strict(),
    ...retryOptions,
  })
  .strict();

export const prometheusSourceSchema = z
  .object({
    id,
    type: z.literal('prometheus'),
    url: httpUrl,
    /** Optional bearer token or basic-auth credentials for a protected Prometheus. */
    token: z.string().min(1).optional(),
    ...retryOptions,
  })
  .strict();

export const splunkSourceSchema = z
  .object({
    id,
    type: z.literal('splunk'),
    /** The management port (REST API), e.g. https://splunk.example.com:8089. */
    url: httpUrl,
    /** A Splunk authentication token, sent as `Authorization: Bearer`. */
    token: z.string().min(1),
    /** Namespace the searches run in (its lookups, macros, saved field extractions). */
    app: z.string().min(1).optional(),
    owner: z.string().min(1).optional(),
    tls: tlsSchema.optional(),
    ...retryOptions,
  })
  .strict();

const pagerdutyId = z.string().regex(/^[A-Z0-9]+$/, 'expected a PagerDuty id such as P123ABC');

export const pagerdutySourceSchema = z
  .object({
    id,
    type: z.literal('pagerduty'),
    /** A REST API key (read-only is enough), sent as `Authorization: Token token=…`. */
    token: z.string().min(1).optional(),
    /**
     * Offline (demo, tests): read recorded REST v2 answers (`oncalls.json`, `incidents.json`) from
     * `dir` (relative to the config file), their times shifted by (report time − `at`).
     */
    recorded: z
      .object({ dir: z.string().min(1), at: z.iso.datetime({ offset: true }) })
      .strict()
      .optional(),
    /** https://api.pagerduty.com, or https://api.eu.pagerduty.com for the EU service region. */
    url: httpUrl.default('https://api.pagerduty.com'),
    /** Per team (the stacks' `team`): whose on-call to show, by schedule or escalation policy id. */
    teams: z
      .record(
        z.string(),
        z.union([
          z.object({ schedule: pagerdutyId }).strict(),
          z.object({ escalationPolicy: pagerdutyId }).strict(),
        ]),
      )
      .default({}),
    ...retryOptions,
  })
  .strict()
  .refine((s) => s.token !== undefined || s.recorded !== undefined, {
    message: 'give a token (or recorded answers, for a demo)',
    path: ['token'],
  });

export const fileSourceSchema = z
  .object({
    id,
    type: z.literal('file'),
    dir: z.string().min(1),
    timezone: z.string().default('UTC'),
    align: z.enum(['none', 'now']).default('none'),
  })
  .strict();

export const sourceSchema = z.discriminatedUnion('type', [
  datadogSourceSchema,
  grafanaSourceSchema,
  prometheusSourceSchema,
  fileSourceSchema,
  splunkSourceSchema,
  pagerdutySourceSchema,
]);

const email = z
  .object({
    smtp: z.string().regex(/^smtps?:\/\//, 'expected an smtp:// or smtps:// URL'),
    from: z.string().min(1),
    to: z.array(z.string().min(3)).default([]),
    teams: z.record(z.string(), z.array(z.string().min(3))).default({}),
    /**
     * Send the SMTP password even when the connection is not encrypted (smtp:// to a server without
     * STARTTLS). Off by default: the password would cross the network in clear text.
     */
    allowInsecureAuth: z.boolean().optional(),
  })
  .strict();

export const deliverySchema = z
  .object({
    files: z
      .object({
        dir: z.string().min(1).optional(),
        formats: z.array(z.enum(['html', 'md', 'json', 'txt'])).optional(),
      })
      .strict()
      .optional(),
    email: email.optional(),
    githubSummary: z.union([z.literal('auto'), z.boolean()]).default('auto'),
    slack: z.object({ webhook: httpUrl }).strict().optional(),
  })
  .strict()
  .default({ githubSummary: 'auto' });

export const configSchema = z
  .object({
    report: z
      .object({
        title: z.string().min(1).default('Daily health'),
        timezone: z.string().default('UTC'),
        at: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)')
          .default('09:00'),
        window: windowDuration.default('24h'),
        baseline: z
          .object({
            mode: z.enum(['daily', 'weekly']).default('daily'),
            days: z.number().int().min(1).max(90).default(7),
            exclude: z.array(isoDay).default([]),
          })
          .strict()
          .default({ mode: 'daily', days: 7, exclude: [] }),
        thresholds: thresholdsSchema.default({}),
        /** Most points one series may bring; more is refused for that metric (it becomes unknown). */
        maxPointsPerSeries: z.number().int().min(100).max(10_000_000).default(200_000),
        /** A deployment or alert at most this long before a metric's onset is linked to it in the reason. */
        deployLink: duration.default('2h'),
        /**
         * Report times the health calendar shows, today's included, each judged from the same fetch;
         * 1 turns the calendar and streaks off (and, for a provider with a point limit, the second request).
         */
        history: z.number().int().min(1).max(31).default(14),
      })
      .strict(),
    sources: z.array(sourceSchema).min(1),
    metrics: z.record(z.string(), metricSchema).default({}),
    stacks: z.array(stackSchema).min(1),
    delivery: deliverySchema,
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type DatadogSourceConfig = z.infer<typeof datadogSourceSchema>;
export type GrafanaSourceConfig = z.infer<typeof grafanaSourceSchema>;
export type PrometheusSourceConfig = z.infer<typeof prometheusSourceSchema>;
export type FileSourceConfig = z.infer<typeof fileSourceSchema>;
export type SplunkSourceConfig = z.infer<typeof splunkSourceSchema>;
export type PagerdutySourceConfig = z.infer<typeof pagerdutySourceSchema>;
export type DeliveryConfig = z.infer<typeof deliverySchema>;
export type EmailDeliveryConfig = z.infer<typeof email>;
export type Direction = (typeof directions)[number];
export type Aggregation = (typeof aggregations)[number];
