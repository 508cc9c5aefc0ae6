import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildInitialOverlay } from '../../src/cli/init.ts';
import { writeEnvironmentMarker } from '../../src/config/environment-marker.ts';
import { environmentsBeside, mergeOverlay, overlayFileFor } from '../../src/config/environment-overlay.ts';
import { runInEnvironment } from '../../src/config/environment-selection.ts';
import { type ConfigProblem, loadConfig, parseConfigText } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const BASE = `service: shop
processes:
  web:
    command: node server.js
    instances: 3
env:
  NODE_ENV: production
  LOG_LEVEL: info
checks:
  - { name: disk, kind: disk, minFreePercent: 10 }
  - { name: load, kind: load, maxLoadPerCore: 2 }
agent:
  httpPort: 3008
`;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-env-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function refusal(fn: () => unknown): CutoverError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CutoverError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('environment overlays', () => {
  test('maps are merged key by key, lists replaced whole, null removes a key', () => {
    assert.deepEqual(
      mergeOverlay({ a: { b: 1, c: [1, 2], d: { e: 1 } }, f: 1, g: 'x' }, { a: { c: [3], d: { z: 2 } }, f: null, g: { h: 1 } }),
      { a: { b: 1, c: [3], d: { e: 1, z: 2 } }, g: { h: 1 } },
    );
  });

  test('--env staging merges cutover.staging.yml over cutover.yml, with its own data directory', () => {
    const dir = project({
      'cutover.yml': BASE,
      'cutover.staging.yml': `processes:\n  web:\n    instances: 2\nenv:\n  LOG_LEVEL: debug\n  NODE_ENV: null\nchecks:\n  - { name: disk, kind: disk, minFreePercent: 5 }\nagent:\n  httpPort: 3108\n`,
    });
    const base = loadConfig(dir, undefined, undefined);
    const staging = loadConfig(dir, undefined, { name: 'staging', from: '--env' });
    assert.equal(base.environment, null);
    assert.equal(base.dataDir, join(dir, '.cutover'));
    assert.deepEqual(staging.environment, { name: 'staging', file: join(dir, 'cutover.staging.yml') });
    assert.equal(staging.dataDir, join(dir, '.cutover-staging'));
    assert.equal(staging.config.processes.web.command, 'node server.js');
    assert.equal(staging.config.processes.web.instances, 2);
    assert.deepEqual(staging.env, { LOG_LEVEL: 'debug' });
    assert.deepEqual(
      staging.config.checks?.map((c) => c.name),
      ['disk'],
    );
    assert.equal(staging.config.agent.httpPort, 3108);
    assert.deepEqual(environmentsBeside(join(dir, 'cutover.yml')), ['staging']);
  });

  test('--env and CUTOVER_ENV select the environment for every loadConfig of a command; --env wins', () => {
    const dir = project({ 'cutover.yml': BASE, 'cutover.staging.yml': 'agent: { httpPort: 3108 }\n', 'cutover.qa.yml': '{}\n' });
    const saved = process.env.CUTOVER_ENV;
    try {
      process.env.CUTOVER_ENV = 'qa';
      assert.equal(loadConfig(dir).environment?.name, 'qa');
      assert.equal(
        runInEnvironment('staging', () => loadConfig(dir).environment?.name),
        'staging',
      );
      delete process.env.CUTOVER_ENV;
      assert.equal(loadConfig(dir).environment, null);
    } finally {
      if (saved === undefined) delete process.env.CUTOVER_ENV;
      else process.env.CUTOVER_ENV = saved;
    }
  });

  test('a problem is reported in the file that holds it, with its line', () => {
    const dir = project({
      'cutover.yml': `${BASE}rollout: { strategy: rolling, batchSize: 0 }\n`,
      'cutover.staging.yml':
        '# staging\nprocesses:\n  web:\n    instances: -2\n    typo: 1\nchecks: [{ name: disk, kind: disk, minFreePercent: 500 }]\n',
    });
    const error = refusal(() => loadConfig(dir, undefined, { name: 'staging', from: '--env' }));
    assert.equal(error.code, 'CUT_ERR_CONFIG_INVALID');
    const problems = Object.fromEntries((error.details.problems as ConfigProblem[]).map((p) => [p.path, p]));
    const overlay = join(dir, 'cutover.staging.yml');
    assert.deepEqual([problems['processes.web.instances'].file, problems['processes.web.instances'].line], [overlay, 4]);
    assert.deepEqual([problems['processes.web.typo'].file, problems['processes.web.typo'].line], [overlay, 5]);
    // The overlay replaced the list: its items are the overlay's.
    assert.deepEqual([problems['checks[0].minFreePercent'].file, problems['checks[0].minFreePercent'].line], [overlay, 6]);
    assert.deepEqual([problems['rollout.batchSize'].file, problems['rollout.batchSize'].line], [join(dir, 'cutover.yml'), 14]);
    assert.match(error.message, /with environment staging/);
    assert.match(error.message, /processes\.web\.instances: .*\(cutover\.staging\.yml:4\)/);
    assert.match(error.message, /rollout\.batchSize: .*\(cutover\.yml:14\)/);
    assert.equal(error.where, `${overlay}:4`);
  });

  test('a rule between two keys names each key in its own file', () => {
    const dir = project({
      'cutover.yml': `${BASE.replace('httpPort: 3008', 'httpPort: 3008\n  metricsPort: 9100')}`,
      'cutover.qa.yml': 'agent:\n  httpPort: 9100\n',
    });
    const error = refusal(() => loadConfig(dir, undefined, { name: 'qa', from: '--env' }));
    const [problem] = error.details.problems as ConfigProblem[];
    const files = new Set([problem.file, problem.otherFile]);
    assert.deepEqual(files, new Set([join(dir, 'cutover.yml'), join(dir, 'cutover.qa.yml')]), JSON.stringify(problem));
    assert.match(error.message, /cutover\.qa\.yml:2/);
    assert.match(error.message, /cutover\.yml:14/);
  });

  test('a YAML error in the overlay names the overlay and its line', () => {
    const dir = project({ 'cutover.yml': BASE, 'cutover.staging.yml': 'env:\n  A: "open\n' });
    const error = refusal(() => loadConfig(dir, undefined, { name: 'staging', from: '--env' }));
    assert.equal(error.code, 'CUT_ERR_CONFIG_PARSE');
    assert.equal(error.where, `${join(dir, 'cutover.staging.yml')}:2`);
  });

  test('an unknown environment lists the known ones; a bad name is refused', () => {
    const dir = project({ 'cutover.yml': BASE, 'cutover.staging.yml': '{}\n' });
    const unknown = refusal(() => loadConfig(dir, undefined, { name: 'stagin', from: '--env' }));
    assert.equal(unknown.code, 'CUT_ERR_ENVIRONMENT_UNKNOWN');
    assert.match(unknown.hint ?? '', /staging/);
    assert.equal(refusal(() => loadConfig(dir, undefined, { name: '../x', from: 'CUTOVER_ENV' })).code, 'CUT_ERR_ENVIRONMENT_NAME');
    assert.equal(overlayFileFor('/p/cutover.canary.yml', 'qa'), '/p/cutover.canary.qa.yml');
  });

  test("an overlay may not rename the service nor share the base config's data directory", () => {
    const dir = project({
      'cutover.yml': BASE,
      'cutover.staging.yml': 'service: shop-staging\n',
      'cutover.qa.yml': 'agent:\n  dataDir: ./.cutover\n',
    });
    const renamed = refusal(() => loadConfig(dir, undefined, { name: 'staging', from: '--env' }));
    assert.equal((renamed.details.problems as ConfigProblem[])[0].path, 'service');
    const shared = refusal(() => loadConfig(dir, undefined, { name: 'qa', from: '--env' }));
    const problem = (shared.details.problems as ConfigProblem[])[0];
    assert.deepEqual([problem.path, problem.file, problem.line], ['agent.dataDir', join(dir, 'cutover.qa.yml'), 2]);
  });

  test("a data directory started for one environment refuses another's config", () => {
    const dir = project({ 'cutover.yml': BASE, 'cutover.staging.yml': 'agent:\n  dataDir: /tmp/never\n', 'cutover.qa.yml': '{}\n' });
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    writeEnvironmentMarker(shared, 'staging');
    writeFileSync(join(dir, 'cutover.qa.yml'), `agent:\n  dataDir: ${shared}\n`);
    const error = refusal(() => loadConfig(dir, undefined, { name: 'qa', from: '--env' }));
    assert.equal(error.code, 'CUT_ERR_ENVIRONMENT_DATA_DIR');
    assert.match(error.message, /belongs to environment staging, not to environment qa/);
  });

  test('the overlay "cutover init --env qa" writes changes nothing until edited', () => {
    const base = parseConfigText(BASE, '/srv/shop/cutover.yml');
    const qa = parseConfigText(BASE, '/srv/shop/cutover.yml', {
      name: 'qa',
      file: '/srv/shop/cutover.qa.yml',
      text: buildInitialOverlay('qa', 'cutover.yml'),
    });
    assert.deepEqual(qa.config, base.config);
    assert.equal(qa.dataDir, '/srv/shop/.cutover-qa');
  });
});
