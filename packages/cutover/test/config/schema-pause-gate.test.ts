import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigProblem, parseConfigText } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';

const BASE = 'service: shop\nprocesses:\n  web: { command: node server.js, instances: 4 }\nrollout:\n  strategy: canary\n  steps:\n';

function problemsOf(step: string): string[] {
  try {
    parseConfigText(`${BASE}    - ${step}\n`, '/srv/shop/cutover.yml');
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    return (error.details.problems as ConfigProblem[]).map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the config to be rejected');
}

test('a human gate takes timeoutMs and onTimeout', () => {
  const { rollout } = parseConfigText(
    `${BASE}    - pause: { timeoutMs: 5s, onTimeout: promote }\n    - pause: { timeoutMs: 1m }\n`,
    '/srv/shop/cutover.yml',
  ).config;
  assert.equal(rollout.strategy, 'canary');
  assert.deepEqual(rollout.strategy === 'canary' ? rollout.steps : null, [
    { pause: { timeoutMs: 5000, onTimeout: 'promote' } },
    { pause: { timeoutMs: 60_000 } },
  ]);
});

test('onTimeout needs timeoutMs, and a timed pause takes neither', () => {
  assert.deepEqual(problemsOf('pause: { onTimeout: abort }'), [
    'rollout.steps[0].pause.onTimeout: needs timeoutMs (how long the gate waits for cutover promote)',
  ]);
  assert.deepEqual(problemsOf('pause: { durationMs: 5s, timeoutMs: 10s }'), [
    'rollout.steps[0].pause: a timed pause (durationMs) ends by itself; timeoutMs and onTimeout belong to a human gate ({ pause: { timeoutMs, onTimeout } })',
  ]);
  assert.equal(problemsOf('pause: { timeoutMs: 5s, onTimeout: later }').length, 1);
});
