/**
 * Is each source reachable, and does it accept the credentials? One cheap request per source, through
 * the same HTTP edge the adapters use (src/sources/http.ts): Datadog `/api/v1/validate`, Grafana
 * `/api/health` and the datasource by uid, Prometheus `/api/v1/status/buildinfo`; a file source's
 * folder. Whether the queries work is checked separately (queries.ts), with the adapters themselves.
 */
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SourceConfig } from '../config/schema';
import { resolveEndpoint } from '../sources/datadog';
import { HttpClient, RequestFailure, authorization, credentialForms, stripSource } from '../sources/http';
import type { RetryDeps } from '../net/retry';
import { fail, ok, warn, type Check } from './types';

/** Doctor asks once and briefly: a slow source is a finding, not something to wait out. */
const probeTimeoutMs = 10_000;
const probeAttempts = 2;

const str = (body: unknown, key: string): string | undefined => {
  const value = (body as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
};

function client(
  source: { id: string },
  baseUrl: string,
  headers: Record<string, string>,
  secrets: string[],
  deps: RetryDeps,
  hints: { auth: string; notFound: string },
): HttpClient {
  return new HttpClient({
    sourceId: source.id,
    baseUrl,
    headers,
    secrets,
    timeoutMs: probeTimeoutMs,
    maxAttempts: probeAttempts,
    deps,
    authHint: hints.auth,
    notFoundHint: hints.notFound,
  });
}

/** A failed probe as one check: the adapter edge's message (source id, status, no secret) and a fix. */
function failed(subject: string, error: unknown, fixes: Partial<Record<string, string>>): Check {
  if (error instanceof RequestFailure) {
    return fail(subject, stripSource(error.message), fixes[error.kind] ?? fixes.default);
  }
  return fail(subject, error instanceof Error ? error.message : String(error), fixes.default);
}

async function probeDatadog(
  source: Extract<SourceConfig, { type: 'datadog' }>,
  deps: RetryDeps,
  signal: AbortSignal,
): Promise<Check[]> {
  const subject = `source ${source.id}`;
  const endpoint = resolveEndpoint(source);
  const http = client(
    source,
    endpoint.apiUrl,
    { 'DD-API-KEY': source.apiKey },
    [source.apiKey, source.appKey],
    deps,
    {
      auth: `the API key (sent as the DD-API-KEY header) was refused by ${endpoint.display}`,
      notFound: `${endpoint.display} has no /api/v1/validate: check site or url`,
    },
  );
  try {
    const answer = await http.send({ method: 'GET', path: '/api/v1/validate' }, signal);
    if ((answer.body as { valid?: unknown }).valid !== true) {
      return [fail(subject, `${endpoint.display} did not confirm the API key`, 'check apiKey')];
    }
    return [
      ok(
        subject,
        `Datadog ${endpoint.display} reachable, API key valid (the application key is checked by the queries below)`,
      ),
    ];
  } catch (error) {
    return [
      failed(subject, error, {
        auth: `set apiKey to an API key of ${endpoint.display} (Organization settings → API keys); keys of another site are refused`,
        network: `check site/url: ${endpoint.apiUrl} cannot be reached from here`,
        default: 'check site/url and the API key',
      }),
    ];
  }
}

async function probeGrafana(
  source: Extract<SourceConfig, { type: 'grafana' }>,
  deps: RetryDeps,
  signal: AbortSignal,
): Promise<Check[]> {
  const subject = `source ${source.id}`;
  const { uid } = source.datasource;
  const http = client(
    source,
    source.url,
    { Authorization: `Bearer ${source.token}` },
    credentialForms(source.token),
    deps,
    {
      auth: 'the token (sent as the Authorization: Bearer header) was refused',
      notFound: `no datasource with uid "${uid}"`,
    },
  );
  let version = '';
  try {
    const health = await http.send({ method: 'GET', path: '/api/health' }, signal);
    version = str(health.body, 'version') ?? '';
    const database = str(health.body, 'database');
    if (database && database !== 'ok') {
      return [fail(subject, `Grafana answers but its database is "${database}"`, 'ask its administrator')];
    }
  } catch (error) {
    return [
      failed(subject, error, {
        network: `check url: ${source.url} cannot be reached from here`,
        'not-found': 'check url: it should be the Grafana root, without /api',
        default: 'check url',
      }),
    ];
  }
  const reached = `Grafana${version ? ` ${version}` : ''} reachable`;
  try {
    const ds = await http.send(
      { method: 'GET', path: `/api/datasources/uid/${encodeURIComponent(uid)}` },
      signal,
    );
    const type = str(ds.body, 'type');
    const name = str(ds.body, 'name');
    const checks = [
      ok(subject, `${reached}, token accepted, datasource "${uid}" is ${name ?? '?'} (${type ?? '?'})`),
    ];
    if (type && type !== source.datasource.type) {
      checks.push(
        warn(
          subject,
          `datasource "${uid}" is of type ${type}, the config says ${source.datasource.type}`,
          `set datasource.type: ${type}, and write the queries in its language`,
        ),
      );
    }
    return checks;
  } catch (error) {
    if (error instanceof RequestFailure && error.status === 403) {
      // A Viewer token may query a datasource without being allowed to read its settings.
      return [
        ok(
          subject,
          `${reached}, token accepted (it may not read datasource settings; the queries below check "${uid}")`,
        ),
      ];
    }
    return [
      failed(subject, error, {
        auth: 'set the token to a Grafana service account token with the Viewer role (Administration → Service accounts)',
        'not-found': `set datasource.uid to the uid at the end of the datasource's page URL (Connections → Data sources)`,
        default: 'check url, token and datasource.uid',
      }),
    ];
  }
}

async function probePrometheus(
  source: Extract<SourceConfig, { type: 'prometheus' }>,
  deps: RetryDeps,
  signal: AbortSignal,
): Promise<Check[]> {
  const subject = `source ${source.id}`;
  const http = client(source, source.url, authorization(source.token), credentialForms(source.token), deps, {
    auth: 'the credentials (Authorization header) were refused',
    notFound: 'no /api/v1/status/buildinfo here',
  });
  try {
    const answer = await http.send({ method: 'GET', path: '/api/v1/status/buildinfo' }, signal);
    const version = str((answer.body as { data?: unknown }).data, 'version');
    return [ok(subject, `Prometheus${version ? ` ${version}` : ''} reachable`)];
  } catch (error) {
    return [
      failed(subject, error, {
        auth: 'set token to a bearer token, or "user:password" for basic auth',
        'not-found': 'check url: the Prometheus base URL, without /api/v1',
        network: `check url: ${source.url} cannot be reached from here`,
        default: 'check url',
      }),
    ];
  }
}

async function probeFiles(
  source: Extract<SourceConfig, { type: 'file' }>,
  configDir: string,
): Promise<Check[]> {
  const subject = `source ${source.id}`;
  const dir = resolve(configDir, source.dir);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    await access(dir);
    return [ok(subject, `folder ${source.dir} readable`)];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [
      fail(
        subject,
        `folder ${source.dir} ${code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`,
        'set dir to a folder relative to the config file',
      ),
    ];
  }
}

export async function probeSource(
  source: SourceConfig,
  configDir: string,
  deps: RetryDeps,
  signal: AbortSignal,
): Promise<Check[]> {
  switch (source.type) {
    case 'datadog':
      return probeDatadog(source, deps, signal);
    case 'grafana':
      return probeGrafana(source, deps, signal);
    case 'prometheus':
      return probePrometheus(source, deps, signal);
    case 'file':
      return probeFiles(source, configDir);
    default:
      // A source type added later: its queries below still say whether it works.
      return [];
  }
}
