import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configSchema } from '../../packages/cutover/src/config/schema.ts';

test('docs/configuration.md lists every top-level key of cutover.yml', () => {
  const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const keys = Object.keys(configSchema.shape);
  assert.ok(keys.length > 10);
  const missing = keys.filter((key) => !docs.includes(`\`${key}\``));
  assert.deepEqual(missing, []);
});
