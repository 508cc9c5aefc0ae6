import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderConfigHelp } from '../../src/cli/help-config.ts';
import { buildInitialConfig, ensureGitignored } from '../../src/cli/init.ts';
import { configSchema } from '../../src/config/schema.ts';

test('cutover help config names every top-level key and the keys of each section', () => {
  const text = renderConfigHelp();
  for (const key of Object.keys(configSchema.shape)) assert.match(text, new RegExp(`^${key}\\b`, 'm'), key);
  assert.match(text, /^ {2}dataDir, httpPort, httpsPort, tls, adminPort, metricsPort, portRange/m);
  assert.match(text, /^ {2}strategy: canary: canaryInstances, healthTimeoutMs, steps/m);
  assert.match(text, /^ {2}<name>: command, instances, portEnv/m);
});

test('the file init writes points at "cutover help config", not at a path inside the cutover repository', () => {
  const text = buildInitialConfig('shop', 'npm start');
  assert.match(text, /cutover help config/);
  assert.doesNotMatch(text, /docs\/|repository/);
});

test('init adds the data directory to .gitignore once, keeping what is there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-gitignore-'));
  writeFileSync(join(dir, '.gitignore'), 'node_modules');
  assert.deepEqual(ensureGitignored(dir, '.cutover'), { file: join(dir, '.gitignore'), added: true });
  assert.deepEqual(ensureGitignored(dir, '.cutover'), { file: join(dir, '.gitignore'), added: false });
  assert.equal(
    readFileSync(join(dir, '.gitignore'), 'utf8'),
    "node_modules\n# cutover's agent data: state, logs and the admin token\n.cutover/\n",
  );
});
