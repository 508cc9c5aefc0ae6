import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyClock,
  applyProbeResult,
  type HealthSnapshot,
  type HealthTiming,
  type HealthTransition,
  initialHealth,
  nextProbeDelayMs,
  type ProbeResult,
  startDeadlineMs,
} from '../../../src/agent/health/health-state-machine.ts';

const timing: HealthTiming = {
  intervalMs: 1000,
  startIntervalMs: 50,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  startTimeoutMs: 10_000,
};
const ok: ProbeResult = { ok: true, detail: 'HTTP 200' };
const bad: ProbeResult = { ok: false, detail: 'connect ECONNREFUSED' };

/** Feeds results at the given times and returns the final snapshot and every transition. */
function run(results: Array<[ProbeResult, number]>, start = initialHealth(0)): { health: HealthSnapshot; transitions: HealthTransition[] } {
  let health = start;
  const transitions: HealthTransition[] = [];
  for (const [result, at] of results) {
    const step = applyProbeResult(health, timing, result, at);
    health = step.health;
    if (step.transition) transitions.push(step.transition);
  }
  return { health, transitions };
}

describe('health state machine', () => {
  test('starts in starting, probed at startIntervalMs, with a deadline at startTimeoutMs', () => {
    const health = initialHealth(1000);
    assert.equal(health.state, 'starting');
    assert.equal(nextProbeDelayMs(health, timing), 50);
    assert.equal(startDeadlineMs(health, timing), 11_000);
  });

  test('starting → healthy needs healthyThreshold consecutive successes; a failure resets the count', () => {
    const { health, transitions } = run([
      [ok, 100],
      [bad, 200],
      [ok, 300],
      [ok, 400],
    ]);
    assert.equal(health.state, 'healthy');
    assert.deepEqual(transitions, [{ from: 'starting', to: 'healthy', reason: '2 consecutive probes passed (last: HTTP 200)', atMs: 400 }]);
    assert.equal(nextProbeDelayMs(health, timing), 1000);
    assert.equal(startDeadlineMs(health, timing), null);
  });

  test('failures while starting never make it unhealthy', () => {
    const { health, transitions } = run([
      [bad, 100],
      [bad, 200],
      [bad, 300],
      [bad, 400],
    ]);
    assert.equal(health.state, 'starting');
    assert.equal(health.failures, 4);
    assert.deepEqual(transitions, []);
  });

  test('starting → failed when startTimeoutMs passes, naming the last probe', () => {
    const { health } = run([[bad, 100]]);
    assert.deepEqual(applyClock(health, timing, 9_999).transition, null);
    const step = applyClock(health, timing, 10_000);
    assert.equal(step.health.state, 'failed');
    assert.deepEqual(step.transition, {
      from: 'starting',
      to: 'failed',
      reason: 'not healthy within 10000 ms (1 probe; last: connect ECONNREFUSED)',
      atMs: 10_000,
    });
    assert.equal(nextProbeDelayMs(step.health, timing), null);
  });

  test('a failing probe past the deadline fails it; a success completing the threshold still wins', () => {
    const late = run([[bad, 10_500]]);
    assert.equal(late.health.state, 'failed');
    const inTime = run([
      [ok, 9_000],
      [ok, 10_200],
    ]);
    assert.equal(inTime.health.state, 'healthy');
  });

  test('a failed machine ignores further probes', () => {
    const failed = applyClock(initialHealth(0), timing, 20_000).health;
    const step = applyProbeResult(failed, timing, ok, 20_100);
    assert.equal(step.health.state, 'failed');
    assert.equal(step.transition, null);
  });

  test('healthy → unhealthy after unhealthyThreshold consecutive failures, and back after healthyThreshold successes', () => {
    const { health, transitions } = run([
      [ok, 100],
      [ok, 200],
      [bad, 1200],
      [bad, 2200],
      [ok, 3200],
      [bad, 4200],
      [bad, 5200],
      [bad, 6200],
      [ok, 7200],
      [ok, 8200],
    ]);
    assert.equal(health.state, 'healthy');
    assert.deepEqual(
      transitions.map((t) => [t.from, t.to, t.atMs]),
      [
        ['starting', 'healthy', 200],
        ['healthy', 'unhealthy', 6200],
        ['unhealthy', 'healthy', 8200],
      ],
    );
    assert.equal(transitions[1].reason, '3 consecutive probes failed (last: connect ECONNREFUSED)');
  });

  test('an unhealthy instance is probed at intervalMs and never hits the start deadline', () => {
    const { health } = run([
      [ok, 100],
      [ok, 200],
      [bad, 300],
      [bad, 400],
      [bad, 500],
    ]);
    assert.equal(health.state, 'unhealthy');
    assert.equal(nextProbeDelayMs(health, timing), 1000);
    assert.equal(applyClock(health, timing, 1_000_000).transition, null);
  });

  test('is pure: the input snapshot is not changed', () => {
    const before = initialHealth(0);
    const copy = structuredClone(before);
    applyProbeResult(before, timing, ok, 10);
    applyClock(before, timing, 50_000);
    assert.deepEqual(before, copy);
  });
});
