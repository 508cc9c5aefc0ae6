// `cutover k8s render` as a process: the compliance manifests on stdout (the golden file), a Helm
// chart on disk, and a key the cluster cannot express as exit 2 naming it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI, REPO_ROOT } from './support/sandbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-k8s-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const COMPLIANCE = join(REPO_ROOT, 'services/compliance/cutover.yml');

test('k8s render prints the compliance manifests exactly as the golden file, and --validate passes', () => {
  const result = cli(['k8s', 'render', '--release', 'v2', '--baseline', 'v1', '--validate', '--config', COMPLIANCE]);
  assert.equal(result.code, 0, result.stderr);
  const golden = readFileSync(join(REPO_ROOT, 'packages/cutover/test/kubernetes/golden/compliance.blue-green.yaml'), 'utf8');
  assert.equal(result.stdout, golden);
});

test('k8s render --helm writes a chart whose values hold canary.enabled and canary.weight', () => {
  const chart = join(dir, 'chart');
  const result = cli(['k8s', 'render', '--release', 'v2', '--helm', chart, '--config', COMPLIANCE]);
  assert.equal(result.code, 0, result.stderr);
  for (const file of ['Chart.yaml', 'values.yaml', 'templates/manifests.yaml']) assert.ok(existsSync(join(chart, file)), file);
  assert.match(readFileSync(join(chart, 'values.yaml'), 'utf8'), /canary:\n(.*\n)*\s+enabled: false\n\s+weight: 5/);
  const blocked = join(dir, 'a-file');
  writeFileSync(blocked, '');
  const refused = cli(['k8s', 'render', '--helm', join(blocked, 'chart'), '--config', COMPLIANCE]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /CUT_ERR_KUBE_HELM_DIR/);
});

test('a key the cluster cannot express stops the render with exit 2, naming it', () => {
  const file = join(dir, 'cutover.yml');
  writeFileSync(
    file,
    [
      'service: shop',
      'processes: { web: { command: node server.js } }',
      'rollout:',
      '  strategy: canary',
      '  steps:',
      '    - setWeight: 10',
      '    - analysis: { metrics: [{ name: p99, provider: { kind: proxy, metric: latency-p99 }, max: 500 }] }',
      'kubernetes: { image: "reg.example/shop:{release}" }',
      '',
    ].join('\n'),
  );
  const result = cli(['k8s', 'render', '--release', 'v2']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /CUT_ERR_KUBE_UNSUPPORTED/);
  assert.match(result.stderr, /rollout\.steps\[1\]\.analysis\.metrics\[0\]\.provider: the proxy metric latency-p99/);
  const noSection = join(dir, 'plain.yml');
  writeFileSync(noSection, 'service: shop\nprocesses: { web: { command: x } }\n');
  const plain = cli(['k8s', 'render', '--config', noSection]);
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /CUT_ERR_KUBE_NOT_CONFIGURED/);
  const bad = cli(['deploy', 'v2', '--target', 'moon', '--config', noSection]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--target must be agent or kubernetes/);
});
