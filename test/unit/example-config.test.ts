import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../packages/cutover/src/config/load-config.ts';

test('docs/cutover.example.yml is a valid config whose stated defaults are the real ones', () => {
  const file = fileURLToPath(new URL('../../docs/cutover.example.yml', import.meta.url));
  const { config } = parseConfigText(readFileSync(file, 'utf8'), file);
  const defaults = parseConfigText('service: x\nprocesses:\n  web: { command: x, health: { type: http } }\n', file).config;
  assert.deepEqual(config.proxy, defaults.proxy);
  assert.deepEqual(config.rollout, defaults.rollout);
  assert.deepEqual(config.agent, defaults.agent);
  assert.deepEqual(config.processes.web.restart, defaults.processes.web.restart);
  assert.deepEqual(config.processes.web.health, defaults.processes.web.health);
  assert.equal(config.processes.web.stopTimeoutMs, defaults.processes.web.stopTimeoutMs);
});

test('the root cutover.yml (the quick-start demo) is valid', () => {
  const file = fileURLToPath(new URL('../../cutover.yml', import.meta.url));
  assert.equal(parseConfigText(readFileSync(file, 'utf8'), file).config.service, 'demo');
});
