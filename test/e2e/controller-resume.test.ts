// End to end: kill -9 of the controller in the middle of a rolling or blue-green rollout. The
// restarted controller resumes at the point the record holds: batches done are not run again, an
// instance already started is not started again, a pause and blue's scale-down delay keep their
// absolute deadlines. Real agent, real controller process, the CLI in separate processes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { controllerPid, detach, recordOf, waitFor, watchToEnd } from './support/controller-record.ts';
import { eventsOf } from './support/rollout-helpers.ts';
import { Sandbox } from './support/sandbox.ts';

const config = (rollout: string) => (port: number) =>
  `service: e2e-resume
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 20s, intervalMs: 200ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 2s, websocketGraceMs: 500ms }
rollout: ${rollout}
agent: { httpPort: ${port} }
`;

/** Kills the controller with SIGKILL and waits until the agent has started a new one. */
async function killController(box: Sandbox): Promise<void> {
  const first = controllerPid(box);
  assert.ok(first, 'a controller runs');
  process.kill(first, 'SIGKILL');
  await waitFor('a new controller', () => {
    const pid = controllerPid(box);
    return pid !== null && pid !== first;
  });
}

/** Ids of the agent's instances of `release`, from `cutover status --json`. */
async function instancesOf(box: Sandbox, release: string): Promise<string[]> {
  const status = await box.cli(['status', '--json']);
  const parsed = JSON.parse(status.stdout) as { instances: { spec: { id: string; release: string } }[] };
  return parsed.instances
    .filter((i) => i.spec.release === release)
    .map((i) => i.spec.id)
    .sort();
}

describe('a restarted controller resumes rolling and blue-green rollouts from their checkpoint', () => {
  const box = new Sandbox('cutover-e2e-resume-');
  const useConfig = (rollout: string) => writeFileSync(box.config, config(rollout)(box.httpPort));

  before(async () => {
    box.release('v1', {});
    box.release('v2', {});
    // Slow to boot: the controller is killed while an instance of the second batch is still starting.
    box.release('v3', { bootDelayMs: 4000 });
    box.release('v4', {});
    await box.writeConfig(config('{ strategy: rolling }'));
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('rolling, killed in the pause between batches: the pause ends at its recorded deadline, no batch runs twice', async () => {
    useConfig('{ strategy: rolling, batchSize: 1, pauseMs: 10s, healthTimeoutMs: 30s }');
    const id = await detach(box, 'v2');
    const pausing = await waitFor('the pause after batch 1', () => recordOf(box, id).events.find((e) => e.type === 'rollout:pausing'));
    const until = pausing.data.until as number;
    assert.equal(typeof until, 'number');
    await killController(box);
    const watched = await watchToEnd(box, id);
    assert.equal(watched.code, 0, `${watched.record.state}: ${watched.record.reason}`);

    const events = recordOf(box, id).events;
    assert.equal(events.filter((e) => e.type === 'deployment:resumed').length, 1, 'the record shows the restart');
    assert.equal(events.filter((e) => e.type === 'batch:starting').length, 2, 'two batches for two instances, none run again');
    const resumedPause = events.find((e) => e.type === 'rollout:pause-resumed');
    assert.ok(resumedPause, 'the resumed run went on with the pause');
    assert.equal(resumedPause.data.deadlineAt, until, 'the pause kept its absolute deadline');
    const second = events.filter((e) => e.type === 'batch:starting')[1];
    assert.ok(second.at >= until - 50, `batch 2 started ${until - second.at} ms before the pause's end`);
    assert.ok(second.at <= until + 1500, `batch 2 started ${second.at - until} ms after the pause's end`);
    const started = eventsOf(watched.record, 'batch:done').flatMap((b) => b.data.started as string[]);
    assert.equal(new Set(started).size, 2);
    assert.deepEqual(await instancesOf(box, 'v2'), [...started].sort());
    assert.deepEqual(await instancesOf(box, 'v1'), []);
  });

  test('rolling, killed while an instance of a batch starts: that instance finishes its batch, none is started again', async () => {
    useConfig('{ strategy: rolling, batchSize: 1, pauseMs: 0s, healthTimeoutMs: 30s }');
    const id = await detach(box, 'v3');
    const inFlight = await waitFor('batch 2 started', () => {
      const rollout = recordOf(box, id).facts.rollout as { batches?: unknown[]; current?: { started: string[] } } | undefined;
      return rollout?.batches?.length === 1 && rollout.current ? rollout.current.started : null;
    });
    await killController(box);
    const watched = await watchToEnd(box, id);
    assert.equal(watched.code, 0, `${watched.record.state}: ${watched.record.reason}`);

    const events = recordOf(box, id).events;
    assert.equal(events.filter((e) => e.type === 'batch:starting').length, 2, 'the interrupted batch was not started again');
    const batches = eventsOf(watched.record, 'batch:done');
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[1].data.started, inFlight, 'the instance of the interrupted batch finished it');
    assert.equal((batches[1].data.retired as string[]).length, 1, 'and one old instance went for it');
    const started = batches.flatMap((b) => b.data.started as string[]);
    assert.deepEqual(await instancesOf(box, 'v3'), [...started].sort());
    assert.deepEqual(await instancesOf(box, 'v2'), []);
  });

  test('blue-green, killed while blue is kept warm: green is adopted, blue retires at the recorded end of the delay', async () => {
    useConfig('{ strategy: blueGreen, scaleDownDelayMs: 12s, healthTimeoutMs: 30s }');
    const id = await detach(box, 'v4');
    const warm = await waitFor('blue kept warm', () => recordOf(box, id).events.find((e) => e.type === 'rollout:keeping-warm'));
    const until = warm.data.until as number;
    assert.equal(typeof until, 'number');
    const green = (recordOf(box, id).facts.rollout as { green: string[] }).green;
    await killController(box);
    const watched = await watchToEnd(box, id);
    assert.equal(watched.code, 0, `${watched.record.state}: ${watched.record.reason}`);

    const events = recordOf(box, id).events;
    assert.equal(events.filter((e) => e.type === 'deployment:resumed').length, 1);
    assert.equal(events.filter((e) => e.type === 'rollout:green-starting').length, 1, 'green was not started again');
    assert.equal(events.filter((e) => e.type === 'rollout:switched').length, 1, 'the switch was not redone');
    const resumed = events.find((e) => e.type === 'rollout:resumed');
    assert.equal(resumed?.data.phase, 'keeping-warm');
    assert.equal(events.find((e) => e.type === 'rollout:pause-resumed')?.data.deadlineAt, until);
    const retiringBlue = events.filter((e) => e.type === 'instance:retiring' && String(e.data.id).startsWith('v3.'));
    assert.equal(retiringBlue.length, 2);
    assert.ok(retiringBlue[0].at >= until - 50, `blue retired ${until - retiringBlue[0].at} ms before the delay's end`);
    assert.ok(retiringBlue[0].at <= until + 1500, `blue retired ${retiringBlue[0].at - until} ms after the delay's end`);
    assert.deepEqual(await instancesOf(box, 'v4'), [...green].sort(), 'the green instances of the first run serve');
    assert.deepEqual(await instancesOf(box, 'v3'), []);
  });
});
