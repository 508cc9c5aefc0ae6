import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseEnvText } from '../../src/config/env-file.ts';
import { type ConfigProblem, loadConfig, parseConfigText } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { parseDurationMs } from '../../src/shared/duration.ts';

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, '/tmp/cutover.yml');
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    assert.equal(error.code, 'CUT_ERR_CONFIG_INVALID');
    return error.details.problems as ConfigProblem[];
  }
  assert.fail('expected the config to be rejected');
}

describe('cutover.yml validation', () => {
  test('a minimal config gets every default', () => {
    const { config } = parseConfigText('service: shop\nprocesses:\n  web:\n    command: node server.js\n', '/srv/shop/cutover.yml');
    assert.equal(config.processes.web.instances, 1);
    assert.equal(config.processes.web.portEnv, 'PORT');
    assert.equal(config.proxy.drainTimeoutMs, 30_000);
    assert.deepEqual(config.release, { source: 'directory', path: 'releases/{release}' });
    assert.equal(config.rollout.strategy, 'rolling');
    assert.equal(config.rollout.batchSize, 1);
    assert.equal(config.rollout.healthTimeoutMs, 60_000);
    assert.equal(config.agent.httpPort, 8080);
  });

  test('every problem is reported with its path, issue code and line', () => {
    const problems = problemsOf(`service: Shop
processes:
  web:
    command: node server.js
    instances: -1
    health: { type: http, path: up, intervalMs: 2x }
    typo: 1
rollout: { strategy: rolling, batchSize: 0 }
`);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    assert.deepEqual(Object.keys(byPath).sort(), [
      'processes.web.health.intervalMs',
      'processes.web.health.path',
      'processes.web.instances',
      'processes.web.typo',
      'rollout.batchSize',
      'service',
    ]);
    assert.equal(byPath['processes.web.typo'].issue, 'unrecognized_keys');
    assert.equal(byPath['processes.web.typo'].line, 7);
    assert.equal(byPath['rollout.batchSize'].line, 8);
    assert.match(byPath['processes.web.health.intervalMs'].message, /duration/);
  });

  test('missing required keys say "is required"', () => {
    const problems = problemsOf('processes:\n  web: {}\n');
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      [
        ['service', 'is required'],
        ['processes.web.command', 'is required'],
      ],
    );
  });

  test('cross-field rules: one routed process type, https needs tls', () => {
    const problems = problemsOf(`service: shop
processes:
  web: { command: a }
  api: { command: b, routed: true }
agent: { httpsPort: 8443 }
`);
    assert.deepEqual(problems.map((p) => p.path).sort(), ['agent.tls', 'processes']);
  });

  test('YAML syntax errors name the line', () => {
    assert.throws(
      () => parseConfigText('service: shop\nprocesses: [\n', '/tmp/cutover.yml'),
      (error: CutoverError) => error.code === 'CUT_ERR_CONFIG_PARSE' && /cutover\.yml:\d/.test(error.message),
    );
  });

  test('a missing file says how to create one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-config-'));
    assert.throws(
      () => loadConfig(dir),
      (error: CutoverError) => error.code === 'CUT_ERR_CONFIG_NOT_FOUND' && /cutover init/.test(error.hint ?? ''),
    );
  });

  test('env files load before env, and the result is frozen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-config-'));
    writeFileSync(join(dir, '.env'), 'A=from-file\nB="quoted # not a comment"\n# comment\nexport C=3 # trailing\n');
    writeFileSync(
      join(dir, 'cutover.yml'),
      'service: shop\nenvFiles: [.env]\nenv: { A: from-config }\nprocesses:\n  web: { command: x }\n',
    );
    const loaded = loadConfig(dir);
    assert.deepEqual({ ...loaded.env }, { A: 'from-config', B: 'quoted # not a comment', C: '3' });
    assert.ok(Object.isFrozen(loaded.config.processes.web));
    assert.equal(loaded.dataDir, join(dir, '.cutover'));
  });

  test('a malformed env file line is an error with its line', () => {
    assert.throws(
      () => parseEnvText('A=1\nnot a pair\n', 'app.env'),
      (error: CutoverError) => error.where === 'app.env:2',
    );
  });

  test('durations', () => {
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('2m'), 120_000);
    assert.equal(parseDurationMs(40), 40);
    assert.equal(parseDurationMs('soon'), undefined);
    assert.equal(parseDurationMs(-1), undefined);
  });
});

test('env files are read by Node’s dotenv parser: multi-line double-quoted values, escapes, export prefixes', () => {
  assert.deepEqual(parseEnvText('export A=1\nKEY="-----BEGIN KEY-----\nabc\n-----END KEY-----"\nB="x\\ny"\nC=\'raw\\n\'\n', 'app.env'), {
    A: '1',
    KEY: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
    B: 'x\ny',
    C: 'raw\\n',
  });
});
