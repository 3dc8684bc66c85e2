/**
 * Config loading: read the file, parse YAML (JSON is YAML too), substitute ${VAR}s, validate with zod,
 * then resolve metric templates per stack. Every problem is collected with its dotted path and thrown
 * at once as one ConfigError; only the CLI turns that into printed text and an exit code.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { safeLabel, safeText, stripUrlCredentials } from '../report/redact';
import { parseWindowLength } from '../plan/windows';
import { configSchema, type RawConfig, type SourceConfig } from './schema';
import type { MetricSpec, ResolvedConfig, StackSpec, Thresholds } from './types';

/** Defaults tuned on the labelled NAB series (see README, "How verdicts are made"). */
/** The longest baseline a report may look back over, in days. */
export const maxBaselineDays = 90;

export const defaultThresholds: Thresholds = {
  minCoverage: 0.5,
  minBaselineWindows: 3,
  score: 4,
  minChange: 0.2,
  episodeScore: 8,
  episodeMinChange: 1,
  episodeMinMinutes: 60,
  episodeMargin: 0.5,
  spikeMargin: 0.5,
  sustainedScore: 5,
  sustainedMinChange: 0.3,
  sustainedMinMinutes: 240,
};

/** Keys whose values are credentials: never print them, warn when written literally. */
const secretKey = /(api_?key|app_?key|token|secret|password|webhook|smtp)$/i;

/** A config is a page of YAML; anything larger is a mistake (or an attack), said before parsing. */
export const maxConfigBytes = 1024 * 1024;
/** YAML aliases a config may use: enough for shared anchors, far too few for an alias bomb. */
export const maxConfigAliases = 100;

export function loadConfig(path: string, env: Record<string, string | undefined>): ResolvedConfig {
  const absolute = resolve(path);
  let text: string;
  try {
    const size = statSync(absolute).size;
    if (size > maxConfigBytes) {
      throw new ConfigError(
        `${path}: the config file is ${Math.ceil(size / 1024)} KB, more than the ${maxConfigBytes / 1024} KB a config may be`,
      );
    }
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code;
    throw new ConfigError(`${path}: cannot read the config file (${why})`);
  }
  return parseConfig(text, absolute, env);
}

/** Parse config text; `path` only names the file in messages and anchors relative paths. */
export function parseConfig(
  text: string,
  path: string,
  env: Record<string, string | undefined>,
): ResolvedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      // `${VAR}` unquoted inside `{ … }` is the usual cause of flow-map errors.
      const hint =
        /flow/i.test(e.message) && /\$\{/.test(text) ? ' (inside { … }, quote ${VAR} values: "${VAR}")' : '';
      return `${path}:${line}:${col}: ${e.message.split('\n')[0]}${hint}`;
    });
    throw new ConfigError(problems[0]!, problems);
  }
  if (text.length > maxConfigBytes) {
    throw new ConfigError(
      `${path}: the config is longer than the ${maxConfigBytes / 1024} KB a config may be`,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: maxConfigAliases });
  } catch (error) {
    // The yaml library refuses an alias bomb ("excessive alias count"); say it as a config problem.
    const excessive = /alias/i.test((error as Error).message);
    throw new ConfigError(
      excessive
        ? `${path}: too many YAML aliases (more than ${maxConfigAliases} expansions): refusing a config that grows when read`
        : `${path}: cannot read the YAML (${safeText((error as Error).message, [], 200)})`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${path}: expected a mapping with report, sources, metrics and stacks`);
  }

  const problems: string[] = [];
  const warnings: string[] = [];
  const secrets: string[] = [];
  const substituted = substituteEnv(raw, '', env, problems, warnings, secrets);

  const parsed = configSchema.safeParse(substituted);
  if (!parsed.success) {
    // A missing ${VAR} is already said; the empty value it leaves behind need not be said again.
    const unset = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
    problems.push(...parsed.error.issues.filter((i) => !unset.has(formatPath(i.path))).flatMap(formatIssues));
    // Still check references among the parts that are valid on their own, so that every problem is
    // said at once rather than one run at a time.
    const { config, invalid } = salvage(substituted as Record<string, unknown>);
    const crossProblems: string[] = [];
    resolveConfig(config, path, crossProblems);
    problems.push(...crossProblems.filter((p) => ![...invalid].some((name) => p.includes(`"${name}"`))));
    throw configError(path, problems, secrets);
  }
  if (problems.length > 0) throw configError(path, problems, secrets);

  const config = resolveConfig(parsed.data, path, problems);
  if (problems.length > 0) throw configError(path, problems, secrets);
  warnings.push(...insecureTlsWarnings(config.sources));
  return { ...config, secrets, warnings };
}

/**
 * One line per source with `tls.insecure: true`: it accepts any certificate, an impostor's too, so
 * whoever sits in between reads the token. Said at every load (report, validate, doctor), never silent.
 */
export function insecureTlsWarnings(sources: readonly SourceConfig[]): string[] {
  return sources
    .filter((s) => 'tls' in s && s.tls?.insecure === true)
    .map((s) => `source "${s.id}": tls.insecure turns off certificate checks; prefer tls.caFile`);
}

/**
 * The config's parts as far as they are valid on their own: an element with a bad key is kept without
 * that key (its default applies), so references to it can still be checked. Names of elements that
 * cannot be kept are returned so that no "unknown" problem is said about them.
 */
function salvage(input: Record<string, unknown>): { config: RawConfig; invalid: Set<string> } {
  const shape = configSchema.shape;
  const invalid = new Set<string>();
  const lenient = <T>(schema: z.ZodType<T>, item: unknown, name: unknown): T[] => {
    let candidate = item;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = schema.safeParse(candidate);
      if (r.success) return [r.data];
      if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) break;
      const badKeys = new Set(r.error.issues.map((i) => i.path[0]).filter((k) => k !== undefined));
      if (r.error.issues.some((i) => i.code === 'unrecognized_keys')) {
        for (const issue of r.error.issues)
          if (issue.code === 'unrecognized_keys') issue.keys.forEach((k) => badKeys.add(k));
      }
      candidate = Object.fromEntries(Object.entries(candidate).filter(([k]) => !badKeys.has(k)));
    }
    if (typeof name === 'string') invalid.add(name);
    return [];
  };
  const idOf = (item: unknown) => (item as { id?: unknown } | null)?.id;
  const list = <T>(items: unknown, schema: z.ZodType<T>) =>
    (Array.isArray(items) ? items : []).flatMap((item) => lenient(schema, item, idOf(item)));
  const metrics = Object.entries((input.metrics ?? {}) as Record<string, unknown>).flatMap(([name, def]) =>
    lenient(shape.metrics.unwrap().valueType, def, name).map((m) => [name, m] as const),
  );
  const report = lenient(shape.report, input.report ?? {}, 'report')[0] ?? shape.report.parse({});
  return {
    config: {
      report,
      sources: list(input.sources, shape.sources.element),
      metrics: Object.fromEntries(metrics),
      stacks: list(input.stacks, shape.stacks.element),
      delivery: { githubSummary: 'auto' },
    },
    invalid,
  };
}

/**
 * Problems quote values from the file and the environment: each is one plain line, scrubbed of every
 * ${VAR} value (the CLI learns the secrets only from a config that loaded), then cut.
 */
function configError(path: string, raw: string[], secrets: readonly string[]): ConfigError {
  const problems = raw.map((p) => safeText(p, secrets, 500));
  const header = `${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return new ConfigError(`${header}\n  ${problems.join('\n  ')}`, problems);
}

/** Dotted path as users read it: stacks[2].metrics[0].direction */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/**
 * A union's issue as the issues of the branch the value was meant for: an inline metric with a bad
 * `weight` says `stacks[0].metrics[0].weight: …`, not "Invalid input".
 */
function formatIssues(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'invalid_union' && !('discriminator' in issue && issue.discriminator)) {
    const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
    // The branch whose type matched: its issues are below the value, not about the value's type.
    const meant = branches.find(
      (b) => b.length > 0 && !b.some((i) => i.code === 'invalid_type' && i.path.length === 0),
    );
    if (meant) return meant.flatMap((i) => formatIssues({ ...i, path: [...issue.path, ...i.path] }));
  }
  return [formatIssue(issue)];
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const at = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys')
    return `${at}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    return `${at}: expected one of datadog | grafana | prometheus | file`;
  }
  if (issue.code === 'invalid_value') return `${at}: expected ${issue.values.map(String).join(' | ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `${at}: required`;
  return `${at}: ${issue.message}`;
}

/** Replace ${VAR} in every string; every value that came from the environment is a secret to scrub. */
function substituteEnv(
  value: unknown,
  path: string,
  env: Record<string, string | undefined>,
  problems: string[],
  warnings: string[],
  secrets: string[],
): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => substituteEnv(v, `${path}[${i}]`, env, problems, warnings, secrets));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        substituteEnv(v, path ? `${path}.${k}` : k, env, problems, warnings, secrets),
      ]),
    );
  }
  if (typeof value !== 'string') return value;
  const key = path.split('.').pop() ?? '';
  const isSecretKey = secretKey.test(key.replace(/\[\d+\]$/, ''));
  if (!value.includes('${')) {
    if (isSecretKey && looksLikeSecret(value)) {
      warnings.push(
        `${path}: looks like a literal secret; use \${VAR} and keep the value in the environment`,
      );
    }
    if (isSecretKey) secrets.push(value);
    return value;
  }
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const found = env[name];
    if (found === undefined || found === '') {
      problems.push(`${path}: environment variable ${name} is not set`);
      return '';
    }
    // Whatever the key: a password inside a Grafana `url` is as secret as an `apiKey`.
    secrets.push(found, ...credentialsInUrl(found));
    return found;
  });
}

function looksLikeSecret(value: string): boolean {
  if (/^(smtps?|https?):\/\/[^/:@]+:[^/@]+@/i.test(value)) return true; // a URL with a password
  return /^[A-Za-z0-9_\-+/=]{20,}$/.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value);
}

/** The password of a URL like smtp://user:pass@host is a secret of its own (it may be printed encoded). */
function credentialsInUrl(value: string): string[] {
  try {
    const url = new URL(value);
    return [url.password, decodeURIComponent(url.password)].filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function resolveConfig(
  raw: RawConfig,
  path: string,
  problems: string[],
): Omit<ResolvedConfig, 'secrets' | 'warnings'> {
  if (!isValidTimeZone(raw.report.timezone)) {
    problems.push(`report.timezone: unknown time zone "${raw.report.timezone}"`);
  }
  raw.sources.forEach((s, i) => {
    if (s.type === 'file' && !isValidTimeZone(s.timezone)) {
      problems.push(`sources[${i}].timezone: unknown time zone "${s.timezone}"`);
    }
    if (s.type === 'datadog' && s.site && s.url) problems.push(`sources[${i}]: give site or url, not both`);
  });
  // One fetch covers every baseline window: keep it to a quarter (90 days) of data.
  const lookBackDays = raw.report.baseline.days * (raw.report.baseline.mode === 'weekly' ? 7 : 1);
  if (lookBackDays > maxBaselineDays) {
    problems.push(
      `report.baseline.days: ${raw.report.baseline.days} ${raw.report.baseline.mode === 'weekly' ? 'weeks' : 'days'} look back ${lookBackDays} days; at most ${maxBaselineDays} days of baseline are allowed`,
    );
  }
  raw.report.baseline.exclude.forEach((day, i) => {
    const parsed = new Date(`${day}T00:00:00Z`);
    // Date rolls 2026-02-30 over to 2026-03-02; a real date survives the round trip.
    if (Number.isNaN(+parsed) || parsed.toISOString().slice(0, 10) !== day) {
      problems.push(`report.baseline.exclude[${i}]: "${day}" is not a calendar date`);
    }
  });

  const sourceIds = new Set<string>();
  raw.sources.forEach((s, i) => {
    if (sourceIds.has(s.id)) problems.push(`sources[${i}].id: duplicate source id "${s.id}"`);
    sourceIds.add(s.id);
  });
  const checkSource = (at: string, id: string) => {
    if (!sourceIds.has(id)) problems.push(`${at}: unknown source "${id}"${suggest(id, [...sourceIds])}`);
  };
  const typeOf = (id: string) => raw.sources.find((s) => s.id === id)?.type;
  /** A source that gives no metrics (pagerduty: on-call and incidents only). */
  const checkMetricSource = (at: string, id: string) => {
    if (typeOf(id) === 'pagerduty') problems.push(`${at}: a pagerduty source gives no metrics`);
  };
  for (const [name, metric] of Object.entries(raw.metrics)) {
    checkSource(`metrics.${name}.source`, metric.source);
    checkMetricSource(`metrics.${name}.source`, metric.source);
  }

  const globalThresholds: Thresholds = { ...defaultThresholds, ...raw.report.thresholds };
  const stackIds = new Set<string>();
  const stacks: StackSpec[] = raw.stacks.map((stack, si) => {
    if (stackIds.has(stack.id)) problems.push(`stacks[${si}].id: duplicate stack id "${stack.id}"`);
    stackIds.add(stack.id);
    const metricIds = new Set<string>();
    const metrics = stack.metrics.flatMap((ref, mi): MetricSpec[] => {
      const at = `stacks[${si}].metrics[${mi}]`;
      const def = typeof ref === 'string' ? raw.metrics[ref] : ref;
      const metricId = typeof ref === 'string' ? ref : ref.id;
      if (!def) {
        problems.push(
          `${at}: unknown metric "${ref as string}"${suggest(ref as string, Object.keys(raw.metrics))}`,
        );
        return [];
      }
      if (typeof ref !== 'string') {
        checkSource(`${at}.source`, ref.source);
        checkMetricSource(`${at}.source`, ref.source);
      }
      if (def.baseline?.mode === 'weekly' && raw.report.baseline.days * 7 > maxBaselineDays) {
        problems.push(
          `${typeof ref === 'string' ? `metrics.${ref}` : at}.baseline.mode: weekly over ${raw.report.baseline.days} weeks looks back ${raw.report.baseline.days * 7} days; at most ${maxBaselineDays} days of baseline are allowed`,
        );
      }
      if (def.min !== undefined && def.max !== undefined && def.min >= def.max) {
        const where = typeof ref === 'string' ? `metrics.${ref}` : at;
        if (!problems.some((p) => p.startsWith(`${where}.min`)))
          problems.push(`${where}.min: ${def.min} is not below max ${def.max}`);
      }
      if (metricIds.has(metricId)) problems.push(`${at}: metric "${metricId}" listed twice`);
      metricIds.add(metricId);
      const { text: query, used } = fillTemplate(def.query, stack.vars, `${at}`, problems);
      return [
        {
          id: metricId,
          label: safeLabel(def.label ?? metricId),
          source: def.source,
          query,
          template: def.query,
          vars: used,
          unit: safeLabel(def.unit ?? ''),
          direction: def.direction,
          aggregation: def.aggregation,
          scale: def.scale,
          ...(def.baseline ? { baselineMode: def.baseline.mode } : {}),
          ...(def.slo ? { slo: def.slo } : {}),
          ...(def.min !== undefined ? { min: def.min } : {}),
          ...(def.max !== undefined ? { max: def.max } : {}),
          critical: def.critical,
          weight: def.weight,
          thresholds: { ...globalThresholds, ...def.thresholds },
        },
      ];
    });
    for (const [kind, q] of Object.entries(stack.events)) {
      if (q) checkSource(`stacks[${si}].events.${kind}.source`, q.source);
    }
    const events: StackSpec['events'] = {};
    for (const kind of ['deployments', 'alerts'] as const) {
      const q = stack.events[kind];
      if (!q) continue;
      const at = `stacks[${si}].events.${kind}`;
      if (typeOf(q.source) === 'pagerduty') {
        problems.push(`${at}.source: a pagerduty source gives incidents (events.incidents), not ${kind}`);
      }
      const { text, used } = fillTemplate(q.query, stack.vars, at, problems);
      events[kind] = { source: q.source, query: text, template: q.query, vars: used };
    }
    const incidents = stack.events.incidents;
    if (incidents) {
      const type = typeOf(incidents.source);
      if (type && type !== 'pagerduty') {
        problems.push(
          `stacks[${si}].events.incidents.source: "${incidents.source}" is a ${type} source; incidents come from a pagerduty source`,
        );
      }
      events.incidents = {
        source: incidents.source,
        query: incidents.service,
        template: incidents.service,
        vars: {},
      };
    }
    return {
      id: stack.id,
      // Labels reach terminals, workflow logs and mail subjects: one line each, no control characters.
      name: safeLabel(stack.name ?? stack.id),
      ...(stack.team ? { team: safeLabel(stack.team) } : {}),
      vars: stack.vars,
      metrics,
      links: Object.fromEntries(Object.entries(stack.links).map(([k, url]) => [k, stripUrlCredentials(url)])),
      deployLinkMs: durationMs(stack.deployLink ?? raw.report.deployLink),
      events,
    };
  });

  return {
    path,
    dir: dirname(path),
    report: {
      ...raw.report,
      title: safeLabel(raw.report.title),
      thresholds: globalThresholds,
    },
    sources: raw.sources,
    stacks,
    delivery: raw.delivery,
  };
}

/** "2h" → milliseconds; the schema has already checked the form. */
function durationMs(text: string): number {
  const { days, minutes } = parseWindowLength(text);
  return (days * 1440 + minutes) * 60_000;
}

function fillTemplate(
  template: string,
  vars: Record<string, string>,
  at: string,
  problems: string[],
): { text: string; used: Record<string, string> } {
  const used: Record<string, string> = {};
  const text = template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      problems.push(`${at}: template uses {{${name}}} but the stack has no var "${name}"`);
      return '';
    }
    used[name] = value;
    return value;
  });
  return { text, used };
}

/** ` (did you mean "x"?)` for a near miss, else empty. */
function suggest(name: string, candidates: string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, name.length / 4)
    ? ` (did you mean "${best}"?)`
    : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}
