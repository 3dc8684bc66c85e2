import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sourceSchema } from '../../src/config/schema';
import { createSource, sourceRegistry } from '../../src/sources/registry';
import { silentLogger } from '../../src/logger';

const sourcesDir = join(__dirname, '../../src/sources');

describe('source registry', () => {
  it('has one adapter folder per registered type, and one config type per adapter', () => {
    const folders = readdirSync(sourcesDir).filter((name) => statSync(join(sourcesDir, name)).isDirectory());
    const configTypes = sourceSchema.options.map((o) => o.shape.type.value);

    expect(Object.keys(sourceRegistry).sort()).toEqual(folders.sort());
    expect(configTypes.sort()).toEqual(folders.sort());
  });

  it("builds each adapter with its config's id", () => {
    const ctx = {
      configDir: __dirname,
      reportTime: 0,
      logger: silentLogger,
      now: () => 0,
      sleep: () => Promise.resolve(),
      random: () => 0,
    };
    const configs = [
      { id: 'dd', type: 'datadog', apiKey: 'k', appKey: 'a', url: 'http://127.0.0.1:1' },
      {
        id: 'gf',
        type: 'grafana',
        url: 'http://127.0.0.1:1',
        token: 't',
        datasource: { uid: 'u', type: 'prometheus' },
      },
      { id: 'pr', type: 'prometheus', url: 'http://127.0.0.1:1' },
      { id: 'fs', type: 'file', dir: '.', timezone: 'UTC', align: 'none' },
      { id: 'sp', type: 'splunk', url: 'https://127.0.0.1:8089', token: 't' },
      { id: 'pd', type: 'pagerduty', token: 't', teams: { payments: { schedule: 'P123ABC' } } },
    ].map((c) => sourceSchema.parse(c));

    expect(configs.map((c) => createSource(c, ctx).id)).toEqual(['dd', 'gf', 'pr', 'fs', 'sp', 'pd']);
  });
});
