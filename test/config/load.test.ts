import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, parseConfig } from '../../src/config/load';
import type { ResolvedConfig } from '../../src/config/types';
import { ConfigError } from '../../src/errors';

/** A small valid config: two stacks sharing templates, one global and one per-metric threshold. */
const validYaml = `
report:
  title: Payments — daily health
  timezone: Europe/Berlin
  at: "09:00"
  window: 24h
  baseline: { mode: daily, days: 7, exclude: ["2026-12-25"] }
  thresholds: { minCoverage: 0.6, score: 3 }

sources:
  - id: dd
    type: datadog
    site: datadoghq.eu
    apiKey: \${DD_API_KEY}
    appKey: \${DD_APP_KEY}
  - id: files
    type: file
    dir: ./data

metrics:
  latency_p95:
    label: p95 latency
    source: dd
    query: "p95:trace.http.request.duration{env:prod,service:{{service}}}"
    unit: s
    direction: lower
    slo: { max: 0.5 }
    critical: true
    thresholds: { score: 5, episodeMinMinutes: 45 }
  throughput:
    source: dd
    query: "sum:trace.http.request.hits{service:{{ service }}}.as_rate()"
    unit: req/s
    direction: neutral

stacks:
  - id: checkout
    name: Checkout
    team: payments
    vars: { service: checkout-api }
    metrics: [latency_p95, throughput]
    links: { dashboard: "https://grafana.example.com/d/checkout" }
    events:
      deployments: { source: dd, query: "source:deploy service:{{service}}" }
  - id: search
    vars: { service: search-api }
    metrics:
      - latency_p95
      - { id: queue_depth, source: files, query: "search/queue.csv", direction: lower }

delivery:
  githubSummary: auto
`;

const env = { DD_API_KEY: 'dd-api-key-from-env-0123456789', DD_APP_KEY: 'dd-app-key-from-env-9876543210' };

/** The ConfigError thrown by parsing `text`, or a failure when nothing is thrown. */
function problemsOf(text: string, environment: Record<string, string | undefined> = env): ConfigError {
  try {
    parseConfig(text, '/configs/scrumops.yaml', environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

/** The valid config with one textual replacement (which must apply). */
function variant(from: string, to: string): string {
  expect(validYaml).toContain(from);
  return validYaml.replace(from, to);
}

describe('parseConfig: a valid config', () => {
  let config: ResolvedConfig;
  beforeAll(() => {
    config = parseConfig(validYaml, '/configs/scrumops.yaml', env);
  });

  it('fills {{var}} from each stack and keeps the template for grouping', () => {
    const [checkout, search] = config.stacks;

    expect(checkout!.metrics[0]).toMatchObject({
      id: 'latency_p95',
      label: 'p95 latency',
      query: 'p95:trace.http.request.duration{env:prod,service:checkout-api}',
      template: 'p95:trace.http.request.duration{env:prod,service:{{service}}}',
      vars: { service: 'checkout-api' },
    });
    expect(search!.metrics[0]!.query).toBe('p95:trace.http.request.duration{env:prod,service:search-api}');
    expect(search!.metrics[0]!.template).toBe(checkout!.metrics[0]!.template);
    expect(checkout!.metrics[1]!.query).toBe('sum:trace.http.request.hits{service:checkout-api}.as_rate()');
  });

  it('fills vars in event queries too', () => {
    expect(config.stacks[0]!.events.deployments).toEqual({
      source: 'dd',
      query: 'source:deploy service:checkout-api',
      template: 'source:deploy service:{{service}}',
      vars: { service: 'checkout-api' },
    });
  });

  it.each([
    // [stack, metric, key, expected]: metric override > report.thresholds > built-in default
    ['checkout', 'latency_p95', 'score', 5],
    ['checkout', 'latency_p95', 'episodeMinMinutes', 45],
    ['checkout', 'latency_p95', 'minCoverage', 0.6],
    ['checkout', 'throughput', 'score', 3],
    ['checkout', 'throughput', 'minCoverage', 0.6],
    ['search', 'queue_depth', 'score', 3],
  ] as const)('thresholds of %s.%s: %s = %p', (stackId, metricId, key, expected) => {
    const metric = config.stacks.find((s) => s.id === stackId)!.metrics.find((m) => m.id === metricId)!;

    expect(metric.thresholds[key]).toBe(expected);
  });

  it('keeps every threshold key present, defaults included', () => {
    const keys = Object.keys(config.stacks[0]!.metrics[1]!.thresholds).sort();

    expect(keys).toEqual(
      [
        'episodeMargin',
        'episodeMinChange',
        'episodeMinMinutes',
        'episodeScore',
        'minBaselineWindows',
        'minChange',
        'minCoverage',
        'score',
        'spikeMargin',
        'sustainedMinChange',
        'sustainedMinMinutes',
        'sustainedScore',
      ].sort(),
    );
    expect(config.report.thresholds).toMatchObject({ minCoverage: 0.6, score: 3 });
  });

  it('applies defaults and resolves names', () => {
    const throughput = config.stacks[0]!.metrics[1]!;

    expect(throughput).toMatchObject({
      label: 'throughput',
      aggregation: 'mean',
      critical: false,
      weight: 1,
    });
    expect(config.stacks[1]!.name).toBe('search');
    expect(config.stacks[1]!.metrics[1]).toMatchObject({
      id: 'queue_depth',
      source: 'files',
      query: 'search/queue.csv',
    });
    expect(config.path).toBe('/configs/scrumops.yaml');
    expect(config.dir).toBe('/configs');
  });

  it('substitutes ${VAR}s and lists their values as secrets, without warnings', () => {
    const dd = config.sources.find((s) => s.id === 'dd');

    expect(dd).toMatchObject({ apiKey: env.DD_API_KEY, appKey: env.DD_APP_KEY });
    expect(config.secrets).toEqual(expect.arrayContaining([env.DD_API_KEY, env.DD_APP_KEY]));
    expect(config.warnings).toEqual([]);
  });
});

describe('parseConfig: problems', () => {
  it('reports every cross-reference problem at once, each starting with its dotted path', () => {
    const text = variant('timezone: Europe/Berlin', 'timezone: Mars/Olympus')
      .replace('metrics: [latency_p95, throughput]', 'metrics: [latncy_p95, throughput]')
      .replace('id: search\n', 'id: checkout\n')
      .replace('vars: { service: search-api }', 'vars: { servic: search-api }')
      .replace('source: files, query', 'source: filez, query');

    const error = problemsOf(text);

    expect(error.problems).toEqual(
      expect.arrayContaining([
        'report.timezone: unknown time zone "Mars/Olympus"',
        'stacks[0].metrics[0]: unknown metric "latncy_p95" (did you mean "latency_p95"?)',
        'stacks[1].id: duplicate stack id "checkout"',
        'stacks[1].metrics[0]: template uses {{service}} but the stack has no var "service"',
        'stacks[1].metrics[1].source: unknown source "filez" (did you mean "files"?)',
      ]),
    );
    expect(error.message).toMatch(/^\/configs\/scrumops\.yaml: \d+ problems\n {2}/);
    for (const problem of error.problems) expect(problem).toMatch(/^[a-z]\w*(\[\d+\]|\.\w+)*: /);
  });

  it('reports schema problems and cross-reference problems together (design §3: every problem at once)', () => {
    // Regression guard, fixed in review (src/config/load.ts parseConfig): when zod rejects the file, resolveConfig never runs, so
    // unknown metrics, unknown sources, duplicate ids, missing vars and time zones only show up after
    // the schema problems are fixed: a second (and third) round trip for the user.
    const text = variant('direction: lower\n    slo', 'direction: lowr\n    slo')
      .replace('timezone: Europe/Berlin', 'timezone: Mars/Olympus')
      .replace('metrics: [latency_p95, throughput]', 'metrics: [latncy_p95, throughput]')
      .replace('id: search\n', 'id: checkout\n')
      .replace('vars: { service: search-api }', 'vars: { servic: search-api }')
      .replace('source: files, query', 'source: filez, query');

    const error = problemsOf(text);

    expect(error.problems).toEqual(
      expect.arrayContaining([
        'metrics.latency_p95.direction: expected lower | higher | neutral',
        'report.timezone: unknown time zone "Mars/Olympus"',
        expect.stringMatching(
          /^stacks\[0\]\.metrics\[0\]: unknown metric "latncy_p95" \(did you mean "latency_p95"\?\)/,
        ),
        'stacks[1].id: duplicate stack id "checkout"',
        expect.stringMatching(/^stacks\[1\]\.metrics\[0\]: template uses \{\{service\}\}/),
        expect.stringMatching(/^stacks\[1\]\.metrics\[1\]\.source: unknown source "filez"/),
      ]),
    );
  });

  it.each([
    [
      'a bad direction',
      ['direction: neutral', 'direction: sideways'],
      'metrics.throughput.direction: expected lower | higher | neutral',
    ],
    ['an unknown key', ['critical: true', 'critcal: true'], 'metrics.latency_p95: unknown key "critcal"'],
    [
      'a metric source that does not exist',
      ['source: dd\n    query: "sum', 'source: ddd\n    query: "sum'],
      'metrics.throughput.source: unknown source "ddd" (did you mean "dd"?)',
    ],
    ['a bad stack id', ['id: search', 'id: Search_Stack'], 'stacks[1].id: expected [a-z0-9-]+'],
    [
      'a non-http link',
      ['"https://grafana.example.com/d/checkout"', '"javascript:alert(1)"'],
      'stacks[0].links.dashboard: expected an http(s):// URL',
    ],
    ['a bad report.at', ['at: "09:00"', 'at: "9am"'], 'report.at: expected HH:MM (24-hour)'],
    [
      'a bad exclude date',
      ['exclude: ["2026-12-25"]', 'exclude: ["25.12.2026"]'],
      'report.baseline.exclude[0]: expected a date YYYY-MM-DD',
    ],
    [
      'a metric listed twice',
      ['metrics: [latency_p95, throughput]', 'metrics: [latency_p95, latency_p95]'],
      'stacks[0].metrics[1]: metric "latency_p95" listed twice',
    ],
    [
      'an event source that does not exist',
      ['deployments: { source: dd,', 'deployments: { source: nope,'],
      'stacks[0].events.deployments.source: unknown source "nope"',
    ],
    [
      'a report.deployLink that does not parse',
      ['window: 24h', 'window: 24h\n  deployLink: 2 hours'],
      'report.deployLink: expected a duration such as 24h, 90m or 1d',
    ],
    [
      "a stack's deployLink that does not parse",
      ['team: payments', 'team: payments\n    deployLink: soon'],
      'stacks[0].deployLink: expected a duration such as 24h, 90m or 1d',
    ],
  ])('names the path of %s', (_what, [from, to], expected) => {
    const error = problemsOf(variant(from!, to!));

    expect(error.problems).toContain(expected);
  });

  it('names the discriminator path once for an unknown source type', () => {
    // Regression guard, fixed in review (src/config/load.ts formatIssue, the invalid_union branch): zod 4 already puts the
    // discriminator in issue.path, so appending `.${issue.discriminator}` prints "sources[1].type.type".
    const error = problemsOf(variant('type: file', 'type: s3'));

    expect(error.problems).toContain(
      'sources[1].type: expected one of datadog | grafana | prometheus | file',
    );
  });

  it('rejects an exclude day that is not on the calendar', () => {
    // Regression guard, fixed in review (src/config/load.ts resolveConfig, the exclude check): Date.parse("2026-02-30T00:00:00Z")
    // rolls over to 2 March in V8 instead of failing, so the "not a date" check never fires for day 29–31.
    const error = problemsOf(variant('exclude: ["2026-12-25"]', 'exclude: ["2026-02-30"]'));

    expect(error.problems).toContain('report.baseline.exclude[0]: "2026-02-30" is not a calendar date');
  });

  it.each([
    ['a duplicate key', 'report:\n  title: x\n  title: y\n', 3],
    ['bad indentation', 'report:\n  title: x\n  at: "09:00"\n window: 24h\n', 4],
  ])('names file:line for a YAML syntax error (%s)', (_what, text, line) => {
    // Regression guard, fixed in review (src/config/load.ts:43): parseDocument(..., { prettyErrors: false }) leaves e.linePos unset,
    // so the ":line:col" part is never printed. Use prettyErrors: true (and keep the first message line)
    // or pass a LineCounter and map e.pos[0] to a line.
    const error = problemsOf(text);

    expect(error.message).toMatch(new RegExp(`^/configs/scrumops\\.yaml:${line}(:\\d+)?: `));
  });

  it('says what it expected when the file is not a mapping', () => {
    const error = problemsOf('- just\n- a list\n');

    expect(error.message).toBe(
      '/configs/scrumops.yaml: expected a mapping with report, sources, metrics and stacks',
    );
  });

  it('names the variable when a ${VAR} is not set', () => {
    const error = problemsOf(validYaml, { DD_API_KEY: env.DD_API_KEY });

    expect(error.problems).toContain('sources[0].appKey: environment variable DD_APP_KEY is not set');
    expect(error.problems.join('\n')).not.toContain('DD_API_KEY');
  });

  it('treats an empty ${VAR} like a missing one', () => {
    const error = problemsOf(validYaml, { ...env, DD_APP_KEY: '' });

    expect(error.problems).toContain('sources[0].appKey: environment variable DD_APP_KEY is not set');
  });

  it('never prints the value of a substituted secret in a problem', () => {
    const error = problemsOf(validYaml.replace('id: checkout', 'id: Checkout'));

    expect(error.message).not.toContain(env.DD_API_KEY);
    expect(error.message).not.toContain(env.DD_APP_KEY);
  });
});

describe('parseConfig: secrets and warnings', () => {
  it.each([
    [
      'an api key',
      ['apiKey: ${DD_API_KEY}', 'apiKey: 0123456789abcdef0123456789abcdef'],
      'sources[0].apiKey',
    ],
    ['a token', ['appKey: ${DD_APP_KEY}', 'appKey: "pat_7fG2kLmN0pQrStUv1234"'], 'sources[0].appKey'],
  ])('warns about %s written literally, and still treats it as a secret', (_what, [from, to], path) => {
    const literal = to!.split(': ')[1]!.replace(/"/g, '');

    const config = parseConfig(variant(from!, to!), '/configs/scrumops.yaml', env);

    expect(config.warnings).toEqual([
      expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: looks like a literal secret`)),
    ]);
    expect(config.warnings[0]).not.toContain(literal);
    expect(config.secrets).toContain(literal);
  });

  it.each([
    ['smtp', 'smtp://ops:hunter2hunter2@smtp.example.com:587'],
    // Regression guard, fixed in review (src/config/load.ts looksLikeSecret): /^(smtp|https?):\/\// does not match "smtps://", which the
    // schema accepts, so a literal password in an smtps URL earns no warning. Use /^(smtps?|https?):\/\//.
    ['smtps', 'smtps://ops:hunter2hunter2@smtp.example.com:465'],
  ])('warns about an %s URL with a literal password', (_scheme, url) => {
    const text = variant(
      'delivery:\n  githubSummary: auto',
      `delivery:\n  githubSummary: auto\n  email: { smtp: "${url}", from: ops@example.com, to: [a@example.com] }`,
    );

    const config = parseConfig(text, '/configs/scrumops.yaml', env);

    expect(config.warnings).toEqual([
      expect.stringMatching(/^delivery\.email\.smtp: looks like a literal secret/),
    ]);
    expect(config.warnings[0]).not.toContain('hunter2');
  });

  it('lists the password of a substituted SMTP URL as a secret of its own', () => {
    const text = variant(
      'delivery:\n  githubSummary: auto',
      'delivery:\n  githubSummary: auto\n  email: { smtp: "${SMTP_URL}", from: ops@example.com, to: [a@example.com] }',
    );

    const config = parseConfig(text, '/configs/scrumops.yaml', {
      ...env,
      SMTP_URL: 'smtp://ops:p%40ss-w0rd@smtp.example.com:587',
    });

    expect(config.secrets).toEqual(
      expect.arrayContaining(['smtp://ops:p%40ss-w0rd@smtp.example.com:587', 'p%40ss-w0rd', 'p@ss-w0rd']),
    );
    expect(config.warnings).toEqual([]);
  });

  it('does not warn about ordinary values under non-secret keys', () => {
    const text = variant('title: Payments — daily health', 'title: Abcdefghij0123456789Abcdefghij');

    const config = parseConfig(text, '/configs/scrumops.yaml', env);

    expect(config.warnings).toEqual([]);
  });
});

describe('loadConfig: files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scrumops-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and anchors relative paths at the config folder', () => {
    const path = join(dir, 'scrumops.yaml');
    writeFileSync(path, validYaml);

    const config = loadConfig(path, env);

    expect(config.path).toBe(path);
    expect(config.dir).toBe(dir);
    expect(config.stacks.map((s) => s.id)).toEqual(['checkout', 'search']);
  });

  it('accepts a JSON config', () => {
    const path = join(dir, 'scrumops.json');
    const json = {
      report: { timezone: 'America/New_York', at: '08:30' },
      sources: [{ id: 'files', type: 'file', dir: 'data' }],
      metrics: { errors: { source: 'files', query: '{{stack}}/errors.csv', unit: '%' } },
      stacks: [{ id: 'api', vars: { stack: 'api' }, metrics: ['errors'] }],
    };
    writeFileSync(path, JSON.stringify(json, null, 2));

    const config = loadConfig(path, {});

    expect(config.report).toMatchObject({
      timezone: 'America/New_York',
      at: '08:30',
      window: '24h',
      title: 'Daily health',
    });
    expect(config.report.baseline).toEqual({ mode: 'daily', days: 7, exclude: [] });
    expect(config.stacks[0]!.metrics[0]).toMatchObject({ query: 'api/errors.csv', direction: 'lower' });
  });

  it.each([
    ['a missing file', 'nope.yaml', 'no such file'],
    ['a folder', '.', 'is a folder'],
  ])('says why it cannot read %s', (_what, name, why) => {
    const path = join(dir, name);

    expect(() => loadConfig(path, {})).toThrow(ConfigError);
    expect(() => loadConfig(path, {})).toThrow(`${path}: cannot read the config file (${why})`);
  });
});
