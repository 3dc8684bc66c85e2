/**
 * What ships with the project stays valid: the JSON Schema matches the zod schema it is made from, and
 * the example config, the demo config and the README's config example all load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from '../../src/config/json-schema';
import { loadConfig, parseConfig } from '../../src/config/load';

const root = join(__dirname, '../..');
const env = {
  DD_API_KEY: 'dd-api',
  DD_APP_KEY: 'dd-app',
  GRAFANA_TOKEN: 'grafana-token',
  SPLUNK_TOKEN: 'splunk-token',
  PAGERDUTY_TOKEN: 'pagerduty-token',
  SMTP_URL: 'smtp://user:pass@127.0.0.1:2525',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T/B/x',
};

describe('shipped configs', () => {
  it('config/scrumops.schema.json is up to date (npm run schema regenerates it)', () => {
    const committed: unknown = JSON.parse(readFileSync(join(root, 'config/scrumops.schema.json'), 'utf8'));

    expect(committed).toEqual(configJsonSchema());
  });

  it.each(['config/scrumops.example.yaml', 'config/demo.yaml'])('%s loads without problems', (file) => {
    const config = loadConfig(join(root, file), env);

    expect(config.stacks.length).toBeGreaterThan(0);
    expect(config.warnings).toEqual([]);
  });

  it("the README's config example loads", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Config'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];

    expect(yaml).toBeDefined();
    const config = parseConfig(yaml!, join(root, 'README.yaml'), env);
    expect(config.stacks.map((s) => s.id)).toEqual(['checkout']);
  });
});
