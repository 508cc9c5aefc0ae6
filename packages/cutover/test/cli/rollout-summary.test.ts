import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeRollout } from '../../src/cli/rollout-summary.ts';
import type { DeploymentRecord, EventRecord } from '../../src/store/deployment-store.ts';

function record(state: DeploymentRecord['state'], events: [string, Record<string, unknown>][]): DeploymentRecord {
  return {
    id: 3,
    service: 'shop',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'me',
    host: 'h',
    pid: 1,
    state,
    reason: null,
    rolledBackTo: null,
    startedAt: 0,
    endedAt: null,
    facts: { strategy: 'canary' },
    steps: [],
    events: events.map(([type, data], index): EventRecord => ({ id: index + 1, at: 1000 + index, type, data })),
  };
}

test('weights, the latest verdict of each analysis, and why a running canary waits', () => {
  const events: [string, Record<string, unknown>][] = [
    ['weights:set', { weights: { v1: 100 } }],
    ['weights:set', { weights: { v1: 80, v2: 20 } }],
    ['analysis:verdict', { analysis: 'step 2', verdict: 'inconclusive', summary: 'inconclusive: no data' }],
    ['rollout:paused', { reason: 'analysis step 2 was inconclusive: no data' }],
  ];
  const paused = summarizeRollout(record('running', events));
  assert.deepEqual(paused, {
    strategy: 'canary',
    weights: { v1: 80, v2: 20 },
    verdicts: [{ analysis: 'step 2', verdict: 'inconclusive', summary: 'inconclusive: no data', at: 1002 }],
    waitingFor: 'analysis step 2 was inconclusive: no data; run "cutover promote" to go on or "cutover abort" to abort',
  });
  const promoted = summarizeRollout(
    record('running', [...events, ['signal:handled', { kind: 'promote', outcome: 'applied' }], ['weights:set', { weights: null }]]),
  );
  assert.equal(promoted.waitingFor, null);
  assert.equal(promoted.weights, null);
  assert.equal(summarizeRollout(record('rolled_back', events)).waitingFor, null, 'a finished deployment waits for nobody');
});
