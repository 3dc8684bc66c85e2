/** Every source adapter, registered by its config `type`. Adding a provider: its folder plus one line here. */
import type { SourceConfig } from '../config/schema';
import { createDatadogSource } from './datadog';
import { createFileSource } from './file';
import { createGrafanaSource } from './grafana';
import { createPagerdutySource } from './pagerduty';
import { createPrometheusSource } from './prometheus';
import { createSplunkSource } from './splunk';
import type { MetricSource, SourceContext } from './types';

export type SourceFactory<C extends SourceConfig> = (config: C, ctx: SourceContext) => MetricSource;

type Registry = { [K in SourceConfig['type']]: SourceFactory<Extract<SourceConfig, { type: K }>> };

export const sourceRegistry: Registry = {
  datadog: createDatadogSource,
  file: createFileSource,
  grafana: createGrafanaSource,
  pagerduty: createPagerdutySource,
  prometheus: createPrometheusSource,
  splunk: createSplunkSource,
};

export function createSource(config: SourceConfig, ctx: SourceContext): MetricSource {
  const factory = sourceRegistry[config.type] as SourceFactory<SourceConfig>;
  return factory(config, ctx);
}
