import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { closestKey, knownKeysAt } from '../../src/config/schema-keys.ts';
import { validateConfigText } from '../../src/config/validate-config-text.ts';

test('a mistyped key names the key it is nearest to, at every depth (maps, records, lists, unions)', () => {
  const text = `service: shop
processes:
  web: { command: node s.js, instanses: 2, helth: { type: http, port: 3000 } }
rolout: {}
agent: { portrange: [21000, 21010], zzzzzz: 1 }
`;
  let problems: Array<{ path: string; message: string }> = [];
  try {
    validateConfigText(text, '/p/cutover.yml');
    assert.fail('the config is invalid');
  } catch (error) {
    problems = (error as { details: { problems: typeof problems } }).details.problems;
  }
  const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
  assert.equal(byPath['processes.web.instanses'], 'unknown keys "instanses" (did you mean "instances"?), "helth" (did you mean "health"?)');
  assert.equal(byPath.rolout, 'unknown key "rolout" (did you mean "rollout"?)');
  assert.equal(byPath['agent.portrange'], 'unknown keys "portrange" (did you mean "portRange"?), "zzzzzz"');
});

test('known keys follow records, lists and union branches of the schema', () => {
  assert.ok(knownKeysAt(configSchema, []).includes('rollout'));
  assert.ok(knownKeysAt(configSchema, ['processes', 'any-name']).includes('instances'));
  assert.ok(knownKeysAt(configSchema, ['processes', 'web', 'health']).includes('path'));
  assert.deepEqual(knownKeysAt(configSchema, ['service']), []);
});

test('closestKey: typos within reach, nothing for unrelated words', () => {
  const known = ['instances', 'health', 'portRange', 'env', 'command'];
  assert.equal(closestKey('instnaces', known), 'instances', 'a swap counts once');
  assert.equal(closestKey('PORTRANGE', known), 'portRange', 'case is ignored');
  assert.equal(closestKey('evn', known), 'env');
  assert.equal(closestKey('xyz', known), undefined);
  assert.equal(closestKey('timeout', known), undefined);
});
