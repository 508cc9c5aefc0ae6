import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeploymentRecord, StepRecord } from '../../src/store/deployment-store.ts';
import { refuseSignal } from '../../src/store/signal-refusal.ts';

function running(strategy: string, rollout?: Partial<StepRecord>): DeploymentRecord {
  const steps: StepRecord[] = rollout
    ? [{ id: 1, name: 'rollout', startedAt: 1, endedAt: null, outcome: 'running', reason: null, values: {}, ...rollout } as StepRecord]
    : [];
  return {
    id: 7,
    service: 'shop',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'ann',
    host: 'h',
    pid: 1,
    state: 'running',
    reason: null,
    rolledBackTo: null,
    startedAt: 1,
    endedAt: null,
    facts: { strategy },
    steps,
    events: [],
  };
}

test('a rolling deploy takes an abort, never a promote', () => {
  assert.throws(() => refuseSignal(running('rolling', {}), 'promote', 'the hint'), {
    code: 'CUT_ERR_DEPLOY_SIGNAL_REFUSED',
    message: /deployment 7 is a rolling deploy, which has no steps to promote/,
  });
  assert.throws(() => refuseSignal(running('rolling', {}), 'promote-full', 'h'), { code: 'CUT_ERR_DEPLOY_SIGNAL_REFUSED' });
  assert.doesNotThrow(() => refuseSignal(running('rolling', {}), 'abort', 'h'));
});

test('a canary or blue-green rollout takes both while it runs, neither once it is over', () => {
  for (const strategy of ['canary', 'blue-green']) {
    for (const kind of ['abort', 'promote'] as const) {
      assert.doesNotThrow(() => refuseSignal(running(strategy, {}), kind, 'h'));
      assert.doesNotThrow(() => refuseSignal(running(strategy), kind, 'h'), 'no rollout step yet');
      assert.throws(
        () => refuseSignal(running(strategy, { endedAt: 5, outcome: 'ok' }), kind, 'what to do'),
        (error: Error & { hint?: string }) => {
          assert.match(error.message, new RegExp(`the rollout of deployment 7 is over \\(ok\\); there is nothing left to ${kind}`));
          return true;
        },
      );
    }
  }
});
