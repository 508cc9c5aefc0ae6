import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { AgentInstance } from '../../src/platform/agent-client.ts';
import type { WorkloadBackend } from '../../src/platform/workload-backend.ts';
import { InstanceWatch } from '../../src/strategies/instance-watch.ts';

// A watch stopped while a listing is in flight used to schedule its next look anyway, and that
// timer kept `cutover deploy` alive after the deployment had ended.
test('stop() during an in-flight listing ends the watch for good', async () => {
  let calls = 0;
  let answer: ((value: AgentInstance[]) => void) | undefined;
  const backend = {
    instances: () => {
      calls++;
      return new Promise<AgentInstance[]>((resolve) => {
        answer = resolve;
      });
    },
  } as unknown as WorkloadBackend;
  // Fake time: the watch's timers fire when the test says so, not after a guessed sleep.
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const watch = new InstanceWatch(backend, 'shop', 5);
    watch.start();
    mock.timers.tick(5);
    assert.equal(calls, 1, 'the first listing is in flight');
    watch.stop();
    answer?.([]);
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(60_000);
    assert.equal(calls, 1, 'no listing after stop');
  } finally {
    mock.timers.reset();
  }
});
