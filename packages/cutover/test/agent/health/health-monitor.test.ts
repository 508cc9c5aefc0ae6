import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { HealthMonitor } from '../../../src/agent/health/health-monitor.ts';
import type { HealthTransition, ProbeResult } from '../../../src/agent/health/health-state-machine.ts';

const timing = { intervalMs: 40, startIntervalMs: 10, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 2, startTimeoutMs: 5000 };

function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('HealthMonitor', () => {
  test('runs probes in sequence and reports each transition the moment the deciding probe finishes', async () => {
    const script: boolean[] = [false, true, true, false, false, true, true];
    let inFlight = 0;
    let maxInFlight = 0;
    let lastFinishedAt = 0;
    const transitions: Array<HealthTransition & { lagMs: number }> = [];
    const monitor = new HealthMonitor({
      timing,
      probe: async (): Promise<ProbeResult> => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight -= 1;
        const ok = script.shift() ?? true;
        lastFinishedAt = performance.now();
        return { ok, detail: ok ? 'up' : 'down' };
      },
      onTransition: (t) => transitions.push({ ...t, lagMs: performance.now() - lastFinishedAt }),
    });
    monitor.start();
    try {
      await waitFor(() => transitions.length >= 3, 10_000);
    } finally {
      monitor.stop();
    }
    assert.deepEqual(
      transitions.map((t) => `${t.from}→${t.to}`),
      ['starting→healthy', 'healthy→unhealthy', 'unhealthy→healthy'],
    );
    assert.equal(maxInFlight, 1);
    // Same tick as the probe's completion: far below the 50 ms routing budget even on a busy machine.
    for (const t of transitions) assert.ok(t.lagMs < 50, `transition reported ${t.lagMs} ms after the probe`);
  });

  test('fails at the start deadline and stops probing', async () => {
    // Fake time and clock: the deadline and every probe interval pass when the test moves time on.
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    let probes = 0;
    const transitions: HealthTransition[] = [];
    const monitor = new HealthMonitor({
      timing: { ...timing, startTimeoutMs: 150 },
      probe: async () => {
        probes += 1;
        return { ok: false, detail: 'ECONNREFUSED' };
      },
      onTransition: (t) => transitions.push(t),
    });
    const advance = async (ms: number) => {
      for (let passed = 0; passed < ms; passed += 5) {
        mock.timers.tick(5);
        // Let the probe's promise and the monitor's continuation run (setImmediate is not faked).
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    try {
      monitor.start();
      await advance(200);
      assert.equal(transitions.length, 1);
      assert.equal(transitions[0].to, 'failed');
      assert.match(transitions[0].reason, /^not healthy within 150 ms \(\d+ probes?; last: ECONNREFUSED\)$/);
      assert.ok(probes >= 5, `probed every start interval until the deadline (${probes})`);
      const probesAtFailure = probes;
      await advance(2000);
      assert.equal(probes, probesAtFailure, 'no probing after failure');
      assert.equal(monitor.health.state, 'failed');
    } finally {
      monitor.stop();
      mock.timers.reset();
    }
  });

  test('stop() aborts an in-flight probe and nothing is reported after it', async () => {
    let aborted = false;
    let probing = false;
    const transitions: HealthTransition[] = [];
    const monitor = new HealthMonitor({
      timing,
      probe: (signal) =>
        new Promise<ProbeResult>((resolve) => {
          probing = true;
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ ok: true, detail: 'late' });
          });
        }),
      onTransition: (t) => transitions.push(t),
    });
    monitor.start();
    await waitFor(() => probing, 10_000);
    monitor.stop();
    assert.equal(aborted, true);
    // The aborted probe's answer and whatever the monitor does with it run before the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(transitions, []);
  });
});
