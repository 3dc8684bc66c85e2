/**
 * The official Datadog client, configured so that nothing is implicit and every answer is visible.
 *
 * - The server is always an explicit `baseServer`: `https://api.<site>` or the configured `url`. The
 *   client's `site` server variables are never used, because `createConfiguration` overwrites their
 *   module-wide default from `DD_SITE` whenever that variable is set.
 * - Both keys are always passed, so `DD_API_KEY` / `DD_APP_KEY` are never read.
 * - The client's own retry (`enableRetry`) stays off: it ignores Retry-After, does not retry network
 *   errors, and waits uncapped. src/net/retry.ts does that job.
 * - Its HTTP library is the network edge (EdgeHttpLibrary below), which also records status,
 *   headers (X-RateLimit-*) and the raw body of every answer.
 */
import type * as DatadogClient from '@datadog/datadog-api-client';
import type { client, v1, v2 } from '@datadog/datadog-api-client';
import { NetError, request as netRequest, type NetFailure } from '../../net/http';

/** The parts of the client this adapter uses. */
interface ClientParts {
  client: typeof DatadogClient.client;
  logger: unknown;
  v2: { MetricsApi: typeof v2.MetricsApi; EventsApi: typeof v2.EventsApi };
}

let loaded: ClientParts | undefined;
let loadedV1: { MetricsApi: typeof v1.MetricsApi } | undefined;
const packages = '@datadog/datadog-api-client/dist/packages';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see below */
/**
 * The client is loaded on first use, not on import, and only the APIs used: its index pulls in every
 * API of v1 and v2 (~170 MB and seconds of compiling), where the v2 metrics and events APIs cost
 * ~130 MB, and v1's metrics API loads only when a proxy lacks the v2 endpoint. The paths are the
 * package's own dist layout (it has no exports map); the tests load each one.
 */
export function datadog(): ClientParts {
  loaded ??= {
    client: require(`${packages}/datadog-api-client-common`) as typeof DatadogClient.client,
    logger: (require('@datadog/datadog-api-client/dist/logger') as { logger: unknown }).logger,
    v2: {
      MetricsApi: (require(`${packages}/datadog-api-client-v2/apis/MetricsApi`) as typeof v2).MetricsApi,
      EventsApi: (require(`${packages}/datadog-api-client-v2/apis/EventsApi`) as typeof v2).EventsApi,
    },
  };
  return loaded;
}

function datadogV1(): { MetricsApi: typeof v1.MetricsApi } {
  loadedV1 ??= {
    MetricsApi: (require(`${packages}/datadog-api-client-v1/apis/MetricsApi`) as typeof v1).MetricsApi,
  };
  return loadedV1;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** Where requests go, and how to name it in messages. */
export interface DatadogEndpoint {
  /** Base URL of the API, without trailing slash. */
  apiUrl: string;
  /** Base URL of the web app (for event links); unknown behind a proxy `url`. */
  appUrl?: string;
  /** For messages: the site, or the url without credentials. */
  display: string;
}

/**
 * `site` may be given as `datadoghq.eu`, `us3.datadoghq.com`, or as the app's host name
 * (`app.datadoghq.eu`); `url` wins when both are set.
 */
export function resolveEndpoint(options: { site?: string; url?: string }): DatadogEndpoint {
  if (options.url) {
    const url = new URL(options.url);
    url.username = '';
    url.password = '';
    const apiUrl = url.toString().replace(/\/+$/, '');
    return { apiUrl, display: `url ${apiUrl}` };
  }
  const site = (options.site ?? 'datadoghq.com')
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/.*$/, '')
    .replace(/^(app|api)\./i, '')
    .toLowerCase();
  // Two-label sites (datadoghq.com, datadoghq.eu, ddog-gov.com) have the app on `app.`; the others
  // (us3.datadoghq.com, ap1.datadoghq.com) serve it on the site name itself.
  const appHost = site.split('.').length <= 2 ? `app.${site}` : site;
  return { apiUrl: `https://api.${site}`, appUrl: `https://${appHost}`, display: `site ${site}` };
}

/** What one HTTP exchange looked like, filled in by the edge library. */
export interface Exchange {
  status?: number;
  headers: Record<string, string>;
  bodyText?: string;
  /**
   * Reads a 2xx answer itself, chunk by chunk as it arrives (into a compact form the caller keeps), and
   * gives the text the client should deserialise instead: for a large answer neither its whole text
   * nor the client's object copy of it is ever made. One reader per attempt.
   */
  reader?: () => AnswerReader;
  /** Set when no whole answer came: the edge's failure (network, timeout, too-large, cancelled). */
  failure?: NetFailure;
}

export interface AnswerReader {
  write(chunk: Buffer): void;
  /** The text the client deserialises in place of the answer. */
  end(): string;
}

/** Limits the edge applies to each Datadog request. */
export interface EdgeLimits {
  timeoutMs: number;
  maxBytes?: number;
  secrets: readonly string[];
  now: () => number;
}

/**
 * The client's HTTP library, served by the network edge (src/net/http.ts) instead of the client's
 * fetch: the body is read whole inside the timeout (the fetch library's body read never settles when
 * a connection closes early, so the run simply ran out of work), answers are capped in size, and a
 * redirect to another host is refused, so DD-API-KEY and DD-APPLICATION-KEY stay with Datadog.
 * Every exchange is recorded: the client's ApiException carries neither headers nor, for JSON, the text.
 */
export class EdgeHttpLibrary implements client.HttpLibrary {
  enableRetry = false;

  constructor(
    private readonly exchange: Exchange,
    private readonly limits: EdgeLimits,
  ) {}

  async send(request: client.RequestContext): Promise<client.ResponseContext> {
    const body = request.getBody();
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body))
      throw new Error('multipart bodies are not used by scrumops');
    const reader = this.exchange.reader?.();
    const result = await netRequest({
      method: request.getHttpMethod().toString(),
      url: request.getUrl(),
      headers: request.getHeaders(),
      body,
      timeoutMs: this.limits.timeoutMs,
      maxBytes: this.limits.maxBytes,
      signal: request.getHttpConfig().signal,
      secrets: this.limits.secrets,
      now: this.limits.now,
      ...(reader ? { sink: (chunk: Buffer) => reader.write(chunk) } : {}),
    });
    if (
      result.kind !== 'ok' &&
      (result.kind !== 'http' || result.status === undefined || result.status < 400)
    ) {
      // No answer the client could read (a refused redirect included): the session classifies it.
      if (result.status !== undefined) this.exchange.status = result.status;
      this.exchange.failure = result;
      throw new NetError(result);
    }
    const status = result.status!;
    const headers = result.headers ?? {};
    const raw = result.text ?? '';
    this.exchange.status = status;
    this.exchange.headers = { ...headers };
    // Hand the client the text, or what the caller's reader gives in its place: a large answer was
    // read into columns as it came and was never kept.
    const text = status >= 200 && status < 300 && reader ? reader.end() : raw;
    this.exchange.bodyText = text;
    return new (datadog().client.ResponseContext)(status, headers, {
      text: () => Promise.resolve(text),
      binary: () => Promise.resolve(Buffer.from(text)),
    });
  }
}

/** The APIs one attempt needs, bound to that attempt's signal and exchange record. */
export interface DatadogApis {
  metricsV2: v2.MetricsApi;
  metricsV1: v1.MetricsApi;
  events: v2.EventsApi;
}

export interface ApiCredentials {
  apiKey: string;
  appKey: string;
}

let quieted = false;

/**
 * The client logs every failed HTTP request to the console on its own (a module-wide loglevel
 * logger). Our errors already say what failed, redacted and with the source id, so it is silenced.
 */
function quietClientLogger(): void {
  if (quieted) return;
  quieted = true;
  // The package types its logger as `any`; it is a loglevel logger.
  (datadog().logger as { setLevel(level: 'silent', persist: boolean): void }).setLevel('silent', false);
}

/**
 * A configuration per attempt: the per-request AbortSignal can only reach the client through
 * `httpConfig`, and the attempt's own recording library keeps concurrent exchanges apart. Building one
 * costs ~0.05 ms.
 */
export function createApis(
  endpoint: DatadogEndpoint,
  credentials: ApiCredentials,
  signal: AbortSignal,
  exchange: Exchange,
  limits: EdgeLimits,
): DatadogApis {
  quietClientLogger();
  const dd = datadog();
  const configuration = dd.client.createConfiguration({
    baseServer: new dd.client.BaseServerConfiguration(endpoint.apiUrl, {}),
    authMethods: { apiKeyAuth: credentials.apiKey, appKeyAuth: credentials.appKey },
    httpApi: new EdgeHttpLibrary(exchange, limits),
    httpConfig: { signal: signal as unknown as client.HttpConfiguration['signal'], compress: true },
    enableRetry: false,
  });
  return {
    metricsV2: new dd.v2.MetricsApi(configuration),
    get metricsV1() {
      return new (datadogV1().MetricsApi)(configuration);
    },
    events: new dd.v2.EventsApi(configuration),
  };
}
