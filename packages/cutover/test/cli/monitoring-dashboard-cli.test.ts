import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function project(agent: string): string {
  const root = mkdtempSync(join(tmpdir(), 'cutover-monitoring-cli-'));
  roots.push(root);
  writeFileSync(
    join(root, 'cutover.yml'),
    `service: shop
processes:
  web:
    command: node server.js
rollout:
  strategy: canary
  steps:
    - setWeight: 10
    - pause: { durationMs: 50m }
${agent}`,
  );
  return root;
}

function cli(cwd: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('cutover monitoring writes the three files from cutover.yml, thresholds from its options and the canary', () => {
  const root = project('agent: { metricsPort: 9464 }\n');
  const run = cli(root, 'monitoring', '--json', '--error-rate', '0.02', '--latency-p95', '300ms');
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const result = JSON.parse(run.stdout);
  assert.deepEqual(result.thresholds, { errorRate: 0.02, latencyP95Seconds: 0.3, restarts: 3, stuckSeconds: 6000 });
  for (const file of Object.values(result.files) as string[]) {
    assert.ok(existsSync(file), file);
    assert.equal(statSync(file).mode & 0o777, 0o644);
  }
  const rules = readFileSync(join(root, 'monitoring', 'cutover-alerts.yml'), 'utf8');
  assert.match(rules, /> 0\.02/);
  assert.match(rules, /> 0\.3/);
  assert.match(rules, /> 6000/, 'stuck after twice the 50 min pause');
});

test('cutover monitoring without a fixed metricsPort says what to add; bad thresholds are refused', () => {
  const root = project('');
  const run = cli(root, 'monitoring', '--json');
  assert.equal(run.code, 2);
  assert.match(run.stdout + run.stderr, /CUT_ERR_MONITORING_NO_METRICS_PORT/);
  assert.match(run.stdout + run.stderr, /metricsPort: 9464/);
  const bad = cli(project('agent: { metricsPort: 9464 }\n'), 'monitoring', '--error-rate', '7');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /CUT_ERR_CLI_BAD_ARGUMENT/);
});

test('cutover dashboard without a running controller says how to start it; --help lists its options', () => {
  const root = project('');
  const run = cli(root, 'dashboard', '--json');
  assert.equal(run.code, 3);
  assert.match(run.stdout + run.stderr, /CUT_ERR_CONTROLLER_NOT_RUNNING/);
  const help = cli(root, 'dashboard', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--host/);
  assert.match(help.stdout, /--port/);
  assert.equal(cli(root, 'dashboard', '--port', 'eighty').code, 2);
});
