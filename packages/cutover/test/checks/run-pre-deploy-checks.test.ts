import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CheckResult } from '../../src/checks/check-result.ts';
import { runPreDeployChecks } from '../../src/checks/run-pre-deploy-checks.ts';
import type { LoadedConfig } from '../../src/config/load-config.ts';
import type { StepContext } from '../../src/pipeline/pipeline-step.ts';
import { closedPort, loadTestConfig, makeTempDir } from './fixtures.ts';

function context(loaded: LoadedConfig, lines: string[] = []): StepContext {
  return {
    loaded,
    deploymentId: 'd1',
    release: 'r2',
    previousRelease: 'r1',
    log: (m) => lines.push(m),
    signal: new AbortController().signal,
  };
}

describe('runPreDeployChecks (pipeline step)', () => {
  let temp: { dir: string; remove(): Promise<void> };
  before(async () => {
    temp = await makeTempDir('cutover-predeploy');
  });
  after(() => temp?.remove());

  test('no checks section: skipped with a reason', async () => {
    const result = await runPreDeployChecks(context(await loadTestConfig(temp.dir, {})));
    assert.equal(result.outcome, 'skipped');
    assert.equal(result.reason, 'cutover.yml declares no checks');
  });

  test('probe kinds are evaluated by the functions passed in; a missing probe fails unless told to skip', async () => {
    const loaded = await loadTestConfig(temp.dir, {
      checks: [{ kind: 'current-release-healthy' }, { kind: 'deploy-lock-free' }, { kind: 'memory', minAvailableBytes: 1 }],
    });
    const lines: string[] = [];
    const ok = await runPreDeployChecks(context(loaded, lines), {
      probes: {
        currentReleaseHealthy: async () => ({ outcome: 'pass', message: '2 of 2 instances of r1 healthy', measured: { healthy: 2 } }),
        deployLockFree: async () => ({ outcome: 'pass', message: 'lock free' }),
      },
    });
    assert.equal(ok.outcome, 'ok');
    assert.deepEqual(ok.values.passed, 3);
    assert.equal(lines.length, 3);
    const checks = ok.values.checks as CheckResult[];
    assert.deepEqual(checks[0].measured, { healthy: 2 });

    const busy = await runPreDeployChecks(context(loaded), {
      probes: { deployLockFree: async () => ({ outcome: 'fail', message: 'deployment 41 holds the lock', measured: { holder: 41 } }) },
    });
    assert.equal(busy.outcome, 'failed');
    assert.match(
      busy.reason ?? '',
      /2 of 3 checks failed: current-release-healthy \(.*no probe was supplied\); deploy-lock-free \(deployment 41 holds the lock\)/,
    );

    const byHand = await runPreDeployChecks(context(loaded), { missingProbe: 'skip' });
    assert.equal(byHand.outcome, 'ok');
    assert.deepEqual([byHand.values.passed, byHand.values.skipped], [1, 2]);
  });

  test('a failing check fails the step; a skipped one is recorded with its reason and does not', async () => {
    const port = await closedPort();
    const loaded = await loadTestConfig(temp.dir, {
      checks: [
        { kind: 'tcp', name: 'cache', port, timeoutMs: 1000 },
        { kind: 'load', maxLoadPerCore: 1000 },
      ],
    });
    const failed = await runPreDeployChecks(context(loaded));
    assert.equal(failed.outcome, 'failed');
    assert.match(failed.reason ?? '', /cache \(cannot connect to 127\.0\.0\.1:\d+: connection refused/);
    const skipped = await runPreDeployChecks(context(loaded), { skip: [{ name: 'cache', reason: 'cache is being replaced' }] });
    assert.equal(skipped.outcome, 'ok');
    const cache = (skipped.values.checks as CheckResult[])[0];
    assert.deepEqual(
      { outcome: cache.outcome, message: cache.message, kind: cache.kind },
      { outcome: 'skipped', message: 'skipped: cache is being replaced', kind: 'tcp' },
    );
  });
});
