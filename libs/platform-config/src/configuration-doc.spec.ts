import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationKeys, PLATFORM_CONFIG_KEYS, renderConfigurationDoc } from './configuration-doc';

const REPO = join(__dirname, '..', '..', '..');

describe('docs/configuration.md', () => {
  it('is what the schema generates (run `npm run docs:config` after changing a setting)', () => {
    expect(readFileSync(join(REPO, 'docs', 'configuration.md'), 'utf8')).toBe(renderConfigurationDoc());
  });

  it('describes every key, with a unit where its name carries one', () => {
    const keys = configurationKeys();
    expect(keys.map(({ name }) => name)).toEqual(PLATFORM_CONFIG_KEYS);
    expect(keys.filter(({ description }) => description === '').map(({ name }) => name)).toEqual([]);
    expect(keys.find(({ name }) => name === 'SPEED_BATCH_MAX_WAIT_MS')).toEqual({ name: 'SPEED_BATCH_MAX_WAIT_MS', defaultValue: '250', unit: 'milliseconds', description: expect.any(String) });
    expect(keys.find(({ name }) => name === 'CLICKHOUSE_URL')?.defaultValue).toBeUndefined();
    expect(keys.find(({ name }) => name === 'CHDB_PATH')?.defaultValue).toBe('./.run/chdb');
  });
});
