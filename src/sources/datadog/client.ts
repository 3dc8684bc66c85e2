/**
 * The official Datadog client, configured so that nothing is implicit and every answer is visible.
 *
 * - The server is always an explicit `baseServer`: `https://api.<site>` or the configured `url`. The
 *   client's `site` server variables are never used, because `createConfiguration` overwrites their
 *   module-wide default from `DD_SITE` whenever that variable is set.
 * - Both keys are always passed, so `DD_API_KEY` / `DD_APP_KEY` are never read.
 * - The client's own retry (`enableRetry`) stays off: it ignores Retry-After, does not retry network
 *   errors, and waits uncapped. src/net/retry.ts does that job.
 * - Its HTTP library is wrapped so that status, headers (X-RateLimit-*) and the raw body of every
 *   answer are recorded: the client's ApiException carries neither headers nor, for JSON, the text.
 */
import type * as DatadogClient from '@datadog/datadog-api-client';
import type { client, v1, v2 } from '@datadog/datadog-api-client';

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
function datadog(): ClientParts {
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

/** What one HTTP exchange looked like, filled in by the recording library. */
export interface Exchange {
  status?: number;
  headers: Record<string, string>;
  bodyText?: string;
  /**
   * Reads a 2xx answer's text itself (into a compact form the caller keeps) and returns the text the
   * client should deserialise instead: for a large answer, the client's own object copy is skipped.
   */
  readBody?: (text: string) => string;
}

/** The client's fetch-based library, with everything it answers copied into an Exchange. */
class RecordingHttpLibrary implements client.HttpLibrary {
  constructor(
    private readonly inner: client.HttpLibrary,
    private readonly exchange: Exchange,
  ) {}

  async send(request: client.RequestContext): Promise<client.ResponseContext> {
    const response = await this.inner.send(request);
    this.exchange.status = response.httpStatusCode;
    this.exchange.headers = { ...response.headers };
    // Read the body once here (the abort signal still bounds it), and hand the client a copy, or what
    // the caller's reader leaves of it. A large answer's text is not kept once it has been read.
    const raw = await response.body.text();
    const ok = response.httpStatusCode >= 200 && response.httpStatusCode < 300;
    const text = ok && this.exchange.readBody ? this.exchange.readBody(raw) : raw;
    this.exchange.bodyText = text;
    return new (datadog().client.ResponseContext)(response.httpStatusCode, response.headers, {
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
): DatadogApis {
  quietClientLogger();
  const dd = datadog();
  const inner = new dd.client.IsomorphicFetchHttpLibrary();
  inner.enableRetry = false;
  const configuration = dd.client.createConfiguration({
    baseServer: new dd.client.BaseServerConfiguration(endpoint.apiUrl, {}),
    authMethods: { apiKeyAuth: credentials.apiKey, appKeyAuth: credentials.appKey },
    httpApi: new RecordingHttpLibrary(inner, exchange),
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
