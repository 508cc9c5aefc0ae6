// The two deployment configs are one service released two ways: they differ only in `rollout`,
// and each carries the guide's numbers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { SERVICE_DIR } from './support/paths.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML
const read = (file: string): any => parse(readFileSync(join(SERVICE_DIR, file), 'utf8'), { merge: true });

test('cutover.yml and cutover.canary.yml differ only in the rollout', () => {
  const { rollout: blueGreen, ...base } = read('cutover.yml');
  const { rollout: canary, ...canaryBase } = read('cutover.canary.yml');
  assert.deepEqual(canaryBase, base);
  assert.equal(blueGreen.strategy, 'blueGreen');
  assert.equal(canary.strategy, 'canary');
});

test('blue-green: smoke tests, 15 minutes of p99 < 500 ms and error rate < 1 %, blue kept 24 h', () => {
  const { rollout, agent, migrations } = read('cutover.yml');
  assert.ok(rollout.smokeChecks.length >= 3);
  const metrics = rollout.postPromotionAnalysis.metrics;
  assert.deepEqual(
    metrics.map((m: { name: string; max: number; intervalMs: string; count: number }) => [m.name, m.max, m.intervalMs, m.count]),
    [
      ['latency-p99', 500, '1m', 15],
      ['error-rate', 0.01, '1m', 15],
    ],
  );
  assert.equal(rollout.scaleDownDelayMs, '24h');
  assert.equal(agent.httpPort, 3008);
  assert.deepEqual(agent.portRange, [25000, 25999]);
  assert.equal(migrations.lockTimeoutMs, '10s');
  assert.equal(migrations.statementTimeoutMs, '60s');
});

test('canary: 5 % for 30 min, 25 % for 1 h, 50 % for 2 h, then 100 %, each gated on p99 and error rate', () => {
  const { rollout } = read('cutover.canary.yml');
  const weights = rollout.steps.filter((s: object) => 'setWeight' in s).map((s: { setWeight: number }) => s.setWeight);
  assert.deepEqual(weights, [5, 25, 50]);
  const gates = rollout.steps
    .filter((s: object) => 'analysis' in s)
    .map((s: { analysis: { metrics: { name: string; max: number; intervalMs: string; count: number }[] } }) =>
      s.analysis.metrics.map((m) => `${m.name}<${m.max} for ${m.count}x${m.intervalMs}`).join(', '),
    );
  assert.deepEqual(gates, [
    'latency-p99<500 for 6x5m, error-rate<0.01 for 6x5m',
    'latency-p99<500 for 12x5m, error-rate<0.01 for 12x5m',
    'latency-p99<500 for 24x5m, error-rate<0.01 for 24x5m',
  ]);
});

test('staging is an overlay of each file (the same text): 2 instances, its flags, secrets, port and data directory', () => {
  const staging = readFileSync(join(SERVICE_DIR, 'cutover.staging.yml'), 'utf8');
  assert.equal(readFileSync(join(SERVICE_DIR, 'cutover.canary.staging.yml'), 'utf8'), staging);
  const overlay = parse(staging);
  assert.equal(overlay.processes.web.instances, 2);
  assert.equal(overlay.env.BULKHEAD_PATTERN, 'false');
  assert.deepEqual(Object.keys(overlay.secrets).sort(), Object.keys(read('cutover.yml').secrets).sort());
  for (const secret of Object.values(overlay.secrets) as { command: string }[]) assert.match(secret.command, / staging$/);
  assert.notEqual(overlay.agent.httpPort, read('cutover.yml').agent.httpPort);
  assert.equal(overlay.rollout, undefined, 'staging is judged by the same gates as production');
  assert.equal(overlay.agent.dataDir, undefined, 'the data directory is .cutover-staging');
});

test('cutover validates each file with the staging overlay merged over it', () => {
  const cli = join(SERVICE_DIR, '../../packages/cutover/bin/cutover.js');
  for (const file of ['cutover.yml', 'cutover.canary.yml']) {
    const run = (args: string[]) =>
      JSON.parse(
        spawnSync(process.execPath, [cli, 'env', 'BULKHEAD_PATTERN', '--json', '--config', join(SERVICE_DIR, file), ...args], {
          env: { ...process.env, CUTOVER_ENV: '' },
          encoding: 'utf8',
        }).stdout,
      );
    assert.equal(run(['--env', 'staging']).value, 'false', `${file} with staging`);
    assert.equal(run([]).error?.code, 'CUT_ERR_CONFIG_ENV_UNKNOWN', `${file} alone leaves the flag to release.env`);
  }
});
