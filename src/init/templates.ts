/**
 * What `scrumops init` writes, as text: a commented config and a daily workflow for the choices on
 * the command line. Pure: no file system, no clock (the time-zone offsets come from date-fns).
 */
import { tzOffset } from '@date-fns/tz';

export type SourceKind = 'datadog' | 'grafana' | 'prometheus';

export interface InitChoices {
  datadog?: { site: string };
  grafana?: { url: string; datasource: string };
  prometheus?: { url: string };
  email: boolean;
  slack: boolean;
  /** IANA time zone of the report. */
  timezone: string;
  /** HH:MM, local to `timezone`: the end of the report window. */
  at: string;
}

/** A secret the user sets in the repository (and in the shell, to run doctor locally). */
export interface SecretToSet {
  name: string;
  what: string;
}

/** How the generated config refers to its JSON Schema, and which scrumops the workflow runs. */
export interface InitContext {
  version: string;
  schemaRef: string;
}

const sourceIds: Record<SourceKind, string> = { datadog: 'dd', grafana: 'grafana', prometheus: 'prom' };

export function chosenSources(choices: InitChoices): SourceKind[] {
  return (['datadog', 'grafana', 'prometheus'] as const).filter((k) => choices[k] !== undefined);
}

export function secretsToSet(choices: InitChoices): SecretToSet[] {
  const secrets: SecretToSet[] = [];
  if (choices.datadog) {
    secrets.push(
      { name: 'DD_API_KEY', what: 'Datadog API key (Organization settings → API keys)' },
      {
        name: 'DD_APP_KEY',
        what: 'Datadog application key with the metrics_read and events_read scopes (Organization settings → Application keys)',
      },
    );
  }
  if (choices.grafana) {
    secrets.push({
      name: 'GRAFANA_TOKEN',
      what: 'Grafana service account token with the Viewer role (Administration → Service accounts)',
    });
  }
  if (choices.email) {
    secrets.push({
      name: 'SMTP_URL',
      what: 'smtps://user:password@smtp.example.com:465 (or smtp://…:587 with STARTTLS); URL-encode special characters',
    });
  }
  if (choices.slack) {
    secrets.push({
      name: 'SLACK_WEBHOOK_URL',
      what: 'a Slack incoming webhook for the review channel (https://hooks.slack.com/services/…)',
    });
  }
  return secrets;
}

/** One golden signal as a metric template; `{{service}}` is filled from each stack's vars. */
interface SignalTemplate {
  name: 'latency_p95' | 'error_rate' | 'throughput' | 'saturation';
  label: string;
  query: string;
  unit: string;
  direction: 'lower' | 'higher' | 'neutral';
  aggregation?: string;
  critical?: boolean;
  /** Shown as a comment above the template: what to change. */
  note: string;
}

/** Datadog APM trace metrics and the agent's container metrics, tagged by unified service tagging. */
const datadogSignals: SignalTemplate[] = [
  {
    name: 'latency_p95',
    label: 'p95 latency',
    query: 'p95:trace.http.request.duration{env:prod,service:{{service}}}',
    unit: 's',
    direction: 'lower',
    critical: true,
    note: 'APM: use your span name instead of http.request (e.g. trace.express.request.duration)',
  },
  {
    name: 'error_rate',
    label: 'error rate',
    query:
      '100 * sum:trace.http.request.errors{env:prod,service:{{service}}}.as_count() / sum:trace.http.request.hits{env:prod,service:{{service}}}.as_count()',
    unit: '%',
    direction: 'lower',
    critical: true,
    note: 'errors per 100 requests',
  },
  {
    name: 'throughput',
    label: 'throughput',
    query: 'sum:trace.http.request.hits{env:prod,service:{{service}}}.as_rate()',
    unit: 'req/s',
    direction: 'neutral',
    note: 'neutral: a drop and a surge are both worth a look',
  },
  {
    name: 'saturation',
    label: 'CPU',
    query: 'avg:container.cpu.usage{env:prod,service:{{service}}} / 10000000',
    unit: '%',
    direction: 'lower',
    aggregation: 'p95',
    note: 'container CPU in % of one core (nanocores / 10^7); a p95 of the day, not its mean',
  },
];

/** PromQL for the usual client-library and cAdvisor metrics (Prometheus, or Grafana on Prometheus). */
const promqlSignals: SignalTemplate[] = [
  {
    name: 'latency_p95',
    label: 'p95 latency',
    query:
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5m])))',
    unit: 's',
    direction: 'lower',
    critical: true,
    note: 'your histogram may be named differently (e.g. http_server_requests_seconds_bucket)',
  },
  {
    name: 'error_rate',
    label: 'error rate',
    query:
      '100 * sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="{{service}}"}[5m]))',
    unit: '%',
    direction: 'lower',
    critical: true,
    note: '5xx answers per 100 requests; the status label may be called status instead of code',
  },
  {
    name: 'throughput',
    label: 'throughput',
    query: 'sum(rate(http_requests_total{service="{{service}}"}[5m]))',
    unit: 'req/s',
    direction: 'neutral',
    note: 'neutral: a drop and a surge are both worth a look',
  },
  {
    name: 'saturation',
    label: 'CPU',
    query: '100 * sum(rate(container_cpu_usage_seconds_total{container="{{service}}"}[5m]))',
    unit: '%',
    direction: 'lower',
    aggregation: 'p95',
    note: 'container CPU in % of one core (cAdvisor); a p95 of the day, not its mean',
  },
];

/** A line of YAML with a comment lined up with the others (column 36). */
const commented = (code: string, comment: string) => `${code.padEnd(34)} # ${comment}`;

/** YAML double-quoted scalar. JSON strings are valid YAML. */
const q = (text: string) => JSON.stringify(text);

function metricName(kind: SourceKind, signal: SignalTemplate, several: boolean): string {
  return several ? `${sourceIds[kind]}_${signal.name}` : signal.name;
}

function sourceBlock(kind: SourceKind, choices: InitChoices): string[] {
  const id = sourceIds[kind];
  if (kind === 'datadog') {
    return [
      `  - id: ${id}`,
      '    type: datadog',
      commented(
        `    site: ${choices.datadog!.site}`,
        'datadoghq.com, datadoghq.eu, us3.datadoghq.com, us5…, ap1…',
      ),
      '    apiKey: ${DD_API_KEY}',
      '    appKey: ${DD_APP_KEY}',
    ];
  }
  if (kind === 'grafana') {
    return [
      `  - id: ${id}`,
      '    type: grafana',
      `    url: ${choices.grafana!.url}`,
      commented('    token: ${GRAFANA_TOKEN}', 'a service account token with the Viewer role'),
      '    datasource:',
      commented(
        `      uid: ${q(choices.grafana!.datasource)}`,
        "the end of the datasource's page URL (Connections → Data sources)",
      ),
      '      type: prometheus             # the templates below are PromQL',
    ];
  }
  return [
    `  - id: ${id}`,
    '    type: prometheus',
    `    url: ${choices.prometheus!.url}`,
    '    # token: ${PROMETHEUS_TOKEN}     # only behind an auth proxy: a bearer token, or "user:password"',
  ];
}

function metricBlock(kind: SourceKind, signal: SignalTemplate, several: boolean): string[] {
  const lines = [
    `  # ${signal.note}`,
    `  ${metricName(kind, signal, several)}:`,
    `    label: ${several ? q(`${signal.label} (${sourceIds[kind]})`) : signal.label}`,
    `    source: ${sourceIds[kind]}`,
    `    query: ${kind === 'datadog' ? q(signal.query) : `'${signal.query.replace(/'/g, "''")}'`}`,
    `    unit: ${q(signal.unit)}`,
    `    direction: ${signal.direction}`,
  ];
  if (signal.aggregation) lines.push(`    aggregation: ${signal.aggregation}`);
  if (signal.critical)
    lines.push('    critical: true                 # a bad critical metric makes the stack bad');
  if (signal.name === 'latency_p95')
    lines.push(
      '    # slo: { max: 0.5 }            # an objective: above it is bad whatever the baseline says',
    );
  return lines;
}

export function configText(choices: InitChoices, context: InitContext): string {
  const kinds = chosenSources(choices);
  const several = kinds.length > 1;
  const signalsOf = (kind: SourceKind) => (kind === 'datadog' ? datadogSignals : promqlSignals);
  const metricNames = kinds.flatMap((k) => signalsOf(k).map((s) => metricName(k, s, several)));
  const lines: string[] = [
    `# yaml-language-server: $schema=${context.schemaRef}`,
    `# scrumops config, written by \`scrumops init\` (scrumops ${context.version}). The line above lets`,
    '# editors with the YAML extension complete and check this file.',
    '#',
    '#   npx scrumops validate   checks this file (every problem, with its path)',
    '#   npx scrumops doctor     checks your sources, queries and channels with the real credentials',
    '#',
    '# Credentials never go in this file: ${NAME} is read from the environment (in the workflow, from',
    '# the repository secrets of the same name). A ${NAME} that is not set stops the run with its name.',
    '',
    'report:',
    '  title: Daily health',
    commented(`  timezone: ${choices.timezone}`, 'IANA zone; the windows follow its wall clock (DST-aware)'),
    commented(`  at: "${choices.at}"`, 'the 24 h window ends at this local time; the workflow runs after it'),
    '  window: 24h',
    '  baseline:',
    '    mode: daily                    # the same hours on each of the previous days (weekly: the same weekday)',
    '    days: 7',
    '    exclude: []                    # days kept out of every baseline, e.g. ["2026-12-25"] (holidays, incidents)',
    '',
    'sources:',
    ...kinds.flatMap((k) => sourceBlock(k, choices)),
    '',
    '# Metric templates: the four golden signals per source. Adapt each query to your metric names,',
    '# then run `npx scrumops doctor` to see what they return.',
    '#',
    "# {{service}} in a query is replaced by each stack's `vars.service`; any {{name}} works, as long as",
    '# every stack that uses the template gives `name` a value under `vars:`.',
    '# Each query must return ONE series per stack: when it would return one per host, pod or status',
    '# code, aggregate it (sum/avg without a `by`). Doctor says "2 series, expected 1" when it does not.',
    'metrics:',
    ...kinds.flatMap((k, i) => [
      ...(i > 0 ? [''] : []),
      ...signalsOf(k).flatMap((s) => metricBlock(k, s, several)),
    ]),
    '',
    '# One entry per service the team owns. Copy the block for each further stack.',
    'stacks:',
    '  - id: my-service                 # [a-z0-9-]+, unique; used with --stack',
    '    name: My service',
    '    team: my-team                  # delivery.email.teams sends each team its own stacks',
    '    vars:',
    '      service: my-service          # fills {{service}} in the metric queries',
    `    metrics: [${metricNames.join(', ')}]`,
    '    # links: { dashboard: "https://…" }',
  ];
  if (choices.datadog) {
    lines.push(
      '    # events:                      # counted in the report; deployments are linked to what changed',
      `    #   deployments: { source: ${sourceIds.datadog}, query: "source:deploy service:my-service" }`,
      `    #   alerts: { source: ${sourceIds.datadog}, query: "source:alert service:my-service" }`,
    );
  } else if (choices.grafana) {
    lines.push(
      '    # events:                      # Grafana annotations with these tags',
      `    #   deployments: { source: ${sourceIds.grafana}, query: "deploy,my-service" }`,
    );
  }
  lines.push(
    '',
    'delivery:',
    '  files: { dir: out, formats: [html, md, json, txt] }   # written first, always',
  );
  if (choices.email) {
    lines.push(
      '  email:',
      '    smtp: ${SMTP_URL}              # smtps://user:password@host:465, or smtp://…:587 with STARTTLS',
      '    from: "scrumops <scrumops@example.com>"',
      '    to: [eng-leads@example.com]    # the whole report',
      '    # teams: { my-team: [my-team@example.com] }   # each team gets its own stacks',
    );
  }
  if (choices.slack) {
    lines.push('  slack:', '    webhook: ${SLACK_WEBHOOK_URL}  # an incoming webhook; bad stacks first');
  }
  lines.push('  githubSummary: auto            # the run page of the GitHub workflow, when there is one');
  return `${lines.join('\n')}\n`;
}

/** Minutes east of UTC in `timezone` in January and in July: the two offsets a year may have. */
function offsetsOf(timezone: string): number[] {
  return [
    tzOffset(timezone, new Date(Date.UTC(2026, 0, 15))),
    tzOffset(timezone, new Date(Date.UTC(2026, 6, 15))),
  ];
}

/** Minutes after `at` the workflow starts: an odd minute, because runs queued at :00 start late. */
const runDelayMinutes = 7;

/**
 * A UTC cron for weekday runs shortly after `at` local time, summer and winter: the later of the two
 * UTC times, so the run never starts before the window ends (it would report the day before).
 */
export function weekdayCron(at: string, timezone: string): { cron: string; note: string } {
  const [h, m] = at.split(':').map(Number) as [number, number];
  const local = h * 60 + m + runDelayMinutes;
  const utc = Math.max(...offsetsOf(timezone).map((offset) => local - offset));
  const dayShift = Math.floor(utc / 1440);
  const minutes = ((utc % 1440) + 1440) % 1440;
  const days = dayShift === 0 ? '1-5' : dayShift < 0 ? '0-4' : '2-6';
  const hh = Math.floor(minutes / 60);
  const mm = minutes % 60;
  const [winter, summer] = offsetsOf(timezone);
  const shown = (offset: number) => {
    const t = (((minutes + offset) % 1440) + 1440) % 1440;
    return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
  };
  const note =
    winter === summer
      ? `${shown(winter!)} in ${timezone}`
      : `${shown(winter!)} in ${timezone} in winter, ${shown(summer!)} in summer`;
  return { cron: `${mm} ${hh} * * ${days}`, note };
}

export function workflowText(choices: InitChoices, context: InitContext): string {
  const { cron, note } = weekdayCron(choices.at, choices.timezone);
  const secrets = secretsToSet(choices);
  const env = secrets.map((s) => `          ${s.name}: \${{ secrets.${s.name} }}`);
  return `# The daily health report, written by \`scrumops init\`: built on weekday mornings after the window
# ends (report.at in config/scrumops.yaml) and delivered through the channels in that config.
name: Daily report

on:
  schedule:
    # ${note}. Cron is UTC here; an odd minute, because runs queued at :00 start late or get
    # dropped at busy times. A late run still reports the same window: it ends at report.at.
    - cron: '${cron}'
  workflow_dispatch:
    inputs:
      at:
        description: 'Report time: an ISO instant or a date YYYY-MM-DD (empty: the latest report.at)'
        type: string
        required: false
        default: ''
      stacks:
        description: 'Only these stack ids, separated by spaces or commas (empty: every stack)'
        type: string
        required: false
        default: ''
      dry_run:
        description: 'Dry run: render everything, send nothing'
        type: boolean
        required: false
        default: false

permissions:
  contents: read

# One report at a time: a retry or a manual run waits instead of sending alongside.
concurrency:
  group: scrumops-daily-report
  cancel-in-progress: false

jobs:
  report:
    name: Build and send the report
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false

      - uses: actions/setup-node@v4
        with:
          node-version: 24

      - name: Build the report and deliver it
        # Secrets reach scrumops only as environment variables, which the config reads as \${NAME}.
        # scrumops is pinned: bump the version here to upgrade (npx installs its runtime only).
        env:
${env.join('\n')}
          REPORT_AT: \${{ inputs.at }}
          REPORT_STACKS: \${{ inputs.stacks }}
          REPORT_DRY_RUN: \${{ inputs.dry_run }}
        run: |
          args=(report --send --out out)
          if [ -n "\${REPORT_AT:-}" ]; then args+=(--at "$REPORT_AT"); fi
          IFS=$', \\t\\n' read -r -a stacks <<< "\${REPORT_STACKS:-}"
          for id in "\${stacks[@]}"; do
            if [ -n "$id" ]; then args+=(--stack "$id"); fi
          done
          if [ "\${REPORT_DRY_RUN:-false}" = "true" ]; then args+=(--dry-run); fi
          npx --yes scrumops@${context.version} "\${args[@]}"

      - name: Keep the rendered report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: scrumops-report
          path: out/
          if-no-files-found: warn
          retention-days: 30
          overwrite: true
`;
}
