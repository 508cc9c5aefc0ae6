import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DeploymentSignals } from '../../src/store/deployment-signals.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { RolloutControl, UNTIL_PROMOTED } from '../../src/strategies/rollout-control.ts';

const DEPLOYMENT = 1;

function setup() {
  const store = new DeploymentStore(join(mkdtempSync(join(tmpdir(), 'cutover-control-')), 'deployments.db'));
  const signals = new DeploymentSignals(store.db);
  const events: [string, Record<string, unknown>][] = [];
  const control = new RolloutControl({ deploymentId: DEPLOYMENT, signals, emit: (type, data) => events.push([type, data]), pollMs: 5 });
  return { store, signals, events, control };
}

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('RolloutControl', () => {
  test('a promote ends a promotable wait and is answered applied; other waits ignore it', async () => {
    const { signals, control, store } = setup();
    control.start();
    const id = signals.send(DEPLOYMENT, 'promote', 'ana');
    const health = await control.wait(later(30));
    assert.equal(health.kind, 'done', 'a health gate is not promotable');
    const pause = await control.wait(UNTIL_PROMOTED, 'ended the pause of step 2');
    assert.deepEqual(pause, { kind: 'promoted', full: false });
    assert.equal(signals.get(id)?.outcome, 'applied');
    assert.equal(signals.get(id)?.note, 'ended the pause of step 2');
    const next = await control.wait(later(20), 'pause 4');
    assert.equal(next.kind, 'done', 'one promote ends one wait');
    control.stop('over');
    store.close();
  });

  test('promote --full ends every later promotable wait; a second promote is a duplicate', async () => {
    const { signals, control, store } = setup();
    control.start();
    const full = signals.send(DEPLOYMENT, 'promote-full', 'ana');
    assert.deepEqual(await control.wait(UNTIL_PROMOTED, 'step 2'), { kind: 'promoted', full: true });
    assert.equal(control.fullPromotion, true);
    assert.match(signals.get(full)?.note ?? '', /every remaining step skipped/);
    assert.deepEqual(await control.wait(UNTIL_PROMOTED, 'step 4'), { kind: 'promoted', full: true });
    const again = signals.send(DEPLOYMENT, 'promote', 'bo');
    control.poll();
    assert.equal(signals.get(again)?.outcome, 'duplicate');
    control.stop('over');
    store.close();
  });

  test('abort wins: it ends any wait; a second abort is a duplicate, a later promote is ignored', async () => {
    const { signals, control, store, events } = setup();
    control.start();
    const waiting = control.wait(UNTIL_PROMOTED, 'step 2');
    const promote = signals.send(DEPLOYMENT, 'promote', 'ana');
    const abort = signals.send(DEPLOYMENT, 'abort', 'bo');
    // Both arrive in one poll: the promote is taken first by the waiting gate, then the abort wins.
    const first = await waiting;
    assert.equal(first.kind, 'promoted');
    await later(20);
    const outcome = await control.wait(later(1000), 'step 4');
    assert.equal(outcome.kind, 'aborted');
    assert.equal(control.aborted?.by, 'signal');
    assert.match(control.aborted?.reason ?? '', /^aborted by bo \(cutover abort\)$/);
    assert.equal(signals.get(abort)?.outcome, null, 'answered once traffic is back on stable');
    control.settleAbort('all traffic back on v1');
    assert.equal(signals.get(abort)?.outcome, 'applied');
    const twice = signals.send(DEPLOYMENT, 'abort', 'bo');
    const late = signals.send(DEPLOYMENT, 'promote', 'ana');
    control.poll();
    assert.equal(signals.get(twice)?.outcome, 'duplicate');
    assert.equal(signals.get(late)?.outcome, 'ignored');
    assert.match(signals.get(late)?.note ?? '', /does nothing after an abort/);
    assert.equal(signals.get(promote)?.outcome, 'applied');
    assert.ok(events.some(([type]) => type === 'rollout:aborting'));
    control.stop('over');
    store.close();
  });

  test('an abort before any wait ends the first one at once; an internal cause keeps the first reason', async () => {
    const { control, store } = setup();
    control.abort({ by: 'analysis', reason: 'analysis step 2: fail: error-rate 5% > max 1%' });
    control.abort({ by: 'watch', reason: 'instance crashed' });
    const outcome = await control.wait(later(1000));
    assert.equal(outcome.kind, 'aborted');
    assert.equal(control.aborted?.reason, 'analysis step 2: fail: error-rate 5% > max 1%');
    store.close();
  });

  test('once retiring, an abort is refused (too late for an instant switch back); stop answers what is left', () => {
    const { signals, control, store } = setup();
    control.start();
    control.finishing('the old release v1 is being retired');
    const abort = signals.send(DEPLOYMENT, 'abort', 'bo');
    control.poll();
    assert.equal(control.aborted, null);
    assert.equal(signals.get(abort)?.outcome, 'ignored');
    assert.match(signals.get(abort)?.note ?? '', /too late to abort.*cutover rollback/);
    const promote = signals.send(DEPLOYMENT, 'promote', 'ana');
    control.stop('the rollout had already finished');
    assert.equal(signals.get(promote)?.outcome, 'ignored');
    store.close();
  });

  test('signals of another deployment are not seen', async () => {
    const { signals, control, store } = setup();
    control.start();
    signals.send(DEPLOYMENT + 1, 'abort', 'bo');
    const outcome = await control.wait(later(50), 'step 2');
    assert.equal(outcome.kind, 'done');
    control.stop('over');
    store.close();
  });
});
