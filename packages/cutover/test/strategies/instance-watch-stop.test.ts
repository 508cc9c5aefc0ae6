import assert from 'node:assert/strict';
import { test } from 'node:test';
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
  const watch = new InstanceWatch(backend, 'shop', 5);
  watch.start();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(calls, 1, 'the first listing is in flight');
  watch.stop();
  answer?.([]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(calls, 1, 'no listing after stop');
});
