// End to end, the compliance service deployed by cutover with its two real config files, as they
// ship, in a `test` environment (cutover.test.yml and cutover.canary.test.yml, overlays written by
// the sandbox): blue-green with the smoke tests, the switch and the post-promotion watch; then
// canaries at 5 / 25 / 50 / 100 % judged on the proxy's p99 and error rate. Venue owners submit and
// read venues through the proxy the whole time, unretried.
//
// What the `test` environment changes, plainly: seconds instead of minutes and hours, fewer samples
// per window, inconclusive aborts instead of pausing, and the p99 gate at TEST_P99_MAX_MS instead of
// the guide's 500 ms. The gate is raised because this machine is shared by many test processes: a
// healthy release's p99 over a 2-second window has gone past 500 ms here for reasons of the machine,
// not of the release. The slow release is slower than the raised gate by far (1500 ms added to each
// request), so the test still proves that a release over the gate is aborted on its own; the files
// as shipped keep 500 ms (services/compliance/test/config-files.test.ts holds them to it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ComplianceLoadResult, percentile, runComplianceLoad } from './support/compliance-load.ts';
import { type ComplianceSandbox, createComplianceSandbox, TEST_JWT_SECRET } from './support/compliance-sandbox.ts';

// biome-ignore lint/suspicious/noExplicitAny: a parsed rollout section
type Yaml = any;

/** The `test` environment's p99 gate (production's is 500 ms): see the top of this file. */
const TEST_P99_MAX_MS = 1000;

/**
 * The same steps and gates with 2 s measurement windows, two per gate, and fewer samples needed
 * (5 % of the test's load is a few requests a second). Inconclusive aborts instead of waiting for a
 * human, so a gate that cannot judge fails the test instead of hanging it.
 */
function shorten(rollout: Yaml): Yaml {
  const metric = (m: Yaml) => ({
    ...m,
    ...(m.name === 'latency-p99' ? { max: TEST_P99_MAX_MS } : {}),
    intervalMs: '2s',
    ...(typeof m.count === 'number' ? { count: 2 } : {}),
    minSamples: 3,
    maxExtensions: 3,
  });
  const analysis = (a: Yaml) => (a ? { ...a, metrics: a.metrics.map(metric) } : a);
  const shortened = { ...rollout, healthTimeoutMs: '60s', scaleDownDelayMs: '1s', onInconclusive: 'abort' };
  if (rollout.strategy === 'blueGreen') return { ...shortened, postPromotionAnalysis: analysis(rollout.postPromotionAnalysis) };
  return {
    ...shortened,
    steps: rollout.steps.map((step: Yaml) => ('analysis' in step ? { analysis: analysis(step.analysis) } : step)),
    backgroundAnalysis: analysis(rollout.backgroundAnalysis),
  };
}

interface DeployRecord {
  state: string;
  reason: string | null;
  events: { type: string; data: Record<string, unknown> }[];
}

describe('the compliance service deployed by cutover (blue-green and canary, shortened)', () => {
  let box: ComplianceSandbox;

  before(async () => {
    box = await createComplianceSandbox({
      label: 'rollouts',
      releases: [
        { version: 'v1' },
        { version: 'v2' },
        { version: 'v3-slow', env: { DEBUG_EXTRA_LATENCY_MS: '1500' } }, // over the p99 gate (TEST_P99_MAX_MS)
        { version: 'v4' },
        { version: 'v5-no-metrics', env: { METRICS_ENDPOINT: 'false' } }, // fails the metrics smoke test
      ],
      editRollout: shorten,
    });
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up:\n${up.stdout}\n${up.stderr}`);
  });
  after(() => box?.cleanup());

  const deployUnderLoad = async (release: string, file: 'cutover.yml' | 'cutover.canary.yml') => {
    const stop = new AbortController();
    const load = runComplianceLoad(box.url, TEST_JWT_SECRET, 4, stop.signal);
    let result: ComplianceLoadResult;
    let record: DeployRecord | null = null;
    let deploy: Awaited<ReturnType<ComplianceSandbox['cli']>>;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      deploy = await box.cli(['deploy', release, '--json'], file, 150_000);
      try {
        record = JSON.parse(deploy.stdout).deployment;
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      stop.abort();
      result = await load;
    }
    const story = (record?.events ?? [])
      .filter((e) => /^(rollout|analysis|smoke|weights|traffic):/.test(e.type))
      .map((e) => `${e.type} ${JSON.stringify(e.data).slice(0, 240)}`)
      .join('\n');
    return { deploy, record, load: result, story };
  };
  const serving = async () => JSON.parse((await box.cli(['status', '--json'])).stdout).serving;

  test('blue-green: smoke tests against green, the switch, the watch on p99 and error rate; no request fails', async (t) => {
    const { deploy, record, load, story } = await deployUnderLoad('v2', 'cutover.yml');
    assert.equal(record?.state, 'succeeded', `${record?.reason}\n${story}\n${deploy.stderr.slice(-1500)}`);
    assert.equal(deploy.code, 0);
    t.diagnostic(`${load.requests} requests, p99 ${percentile(load.latenciesMs, 99).toFixed(0)} ms`);
    assert.deepEqual(load.failures.slice(0, 5), []);
    assert.ok(load.ok > 50, `only ${load.ok} requests answered`);
    const events = JSON.stringify(record?.events ?? []);
    for (const smoke of ['ready', 'live', 'metrics', 'auth-enforced', 'stripe-signature-enforced'])
      assert.ok(events.includes(`"${smoke}"`), `smoke check ${smoke} ran\n${story}`);
    const measured = JSON.stringify(record?.events.filter((e) => e.type === 'analysis:measurement').map((e) => e.data));
    for (const name of ['latency-p99', 'error-rate']) assert.ok(measured.includes(`"${name}"`), `${name} was measured\n${story}`);
    assert.equal(await serving(), 'v2');
    // The secrets reached the instances (they answer authenticated requests) and were never stored.
    for (const file of ['agent.db', 'cutover.db']) {
      const stored = readFileSync(join(box.dataDir, file));
      assert.equal(stored.includes(Buffer.from(TEST_JWT_SECRET)), false, `${file} holds no secret value`);
    }
  });

  test('blue-green: a release failing a smoke test never takes traffic; no request fails', async (t) => {
    const before = await serving();
    const { record, load, story } = await deployUnderLoad('v5-no-metrics', 'cutover.yml');
    assert.match(record?.state ?? '', /^(failed|rolled_back)$/, `${record?.state}: ${record?.reason}\n${story}`);
    assert.match(record?.reason ?? '', /smoke checks failed, traffic was not switched: metrics on v5-no-metrics/, story);
    assert.equal(record!.events.filter((e) => e.type === 'rollout:switched').length, 0, 'never switched');
    t.diagnostic(`${load.requests} requests, p99 ${percentile(load.latenciesMs, 99).toFixed(0)} ms`);
    assert.deepEqual(load.failures.slice(0, 5), []);
    assert.equal(await serving(), before);
  });

  test('canary: a release over the p99 gate is aborted on its own at 5 %; no request fails', async (t) => {
    const before = await serving();
    const { record, load, story, deploy } = await deployUnderLoad('v3-slow', 'cutover.canary.yml');
    if (!record) t.diagnostic(`no record: ${deploy.stderr.slice(-1500)}\n${(await box.cli(['status', '--json'])).stdout.slice(0, 3000)}`);
    assert.match(record?.state ?? '', /^(failed|rolled_back|aborted)$/, `${record?.state}: ${record?.reason}\n${story}`);
    assert.match(record?.reason ?? '', /latency-p99 .* > max 1000ms/, `judged by the test environment's gate\n${story}`);
    const weights = record!.events
      .filter((e) => e.type === 'rollout:step' && typeof e.data.setWeight === 'number')
      .map((e) => e.data.setWeight);
    assert.deepEqual(weights, [5], story);
    t.diagnostic(`${load.requests} requests, p99 ${percentile(load.latenciesMs, 99).toFixed(0)} ms`);
    assert.deepEqual(load.failures.slice(0, 5), []);
    assert.equal(await serving(), before);
  });

  test('canary: 5 → 25 → 50 → 100 % with every gate passing; no request fails', async (t) => {
    const { deploy, record, load, story } = await deployUnderLoad('v4', 'cutover.canary.yml');
    if (!record) t.diagnostic(`no record: ${deploy.stderr.slice(-1500)}\n${(await box.cli(['status', '--json'])).stdout.slice(0, 3000)}`);
    assert.equal(record?.state, 'succeeded', `${record?.reason}\n${story}\n${deploy.stderr.slice(-1500)}`);
    const weights = record!.events
      .filter((e) => e.type === 'rollout:step' && typeof e.data.setWeight === 'number')
      .map((e) => e.data.setWeight);
    assert.deepEqual(weights, [5, 25, 50], story);
    const verdicts = record!.events.filter((e) => e.type === 'analysis:verdict').map((e) => `${e.data.analysis}: ${e.data.verdict}`);
    assert.ok(verdicts.length >= 3 && verdicts.every((v) => v.endsWith(': pass')), `${verdicts.join(', ')}\n${story}`);
    t.diagnostic(`${load.requests} requests, p99 ${percentile(load.latenciesMs, 99).toFixed(0)} ms`);
    assert.deepEqual(load.failures.slice(0, 5), []);
    assert.equal(await serving(), 'v4');
  });
});
