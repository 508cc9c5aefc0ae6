import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type TaskEvent, TaskScheduler } from '../../../src/controller/tasks/task-scheduler.ts';
import { CutoverError } from '../../../src/errors/cutover-error.ts';
import { isPidAlive } from '../../../src/shared/process-group.ts';
import { createManualClock } from '../../helpers/manual-clock.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { parseTasks, taskFixture } from './task-fixtures.ts';

const T0 = Date.parse('2026-01-01T00:00:30Z');
const minute = (n: number) => Date.parse('2026-01-01T00:00:00Z') + n * 60_000;

test('a task every minute that outlives its minute (overlap: skip): the next start is skipped and recorded, and the schedule goes on', async () => {
  const { dir, store, execute } = taskFixture();
  const clock = createManualClock(T0);
  const events: TaskEvent[] = [];
  const tasks = parseTasks({
    sync: {
      schedule: '* * * * *',
      timeZone: 'UTC',
      command: 'while [ ! -e done ]; do sleep 0.05; done; echo "$GREETING from $CUTOVER_RELEASE"',
      overlap: 'skip',
    },
  });
  const scheduler = new TaskScheduler({ service: 'shop', tasks, store, execute, clock, onEvent: (e) => events.push(e) });
  scheduler.start();
  assert.equal(scheduler.list()[0].nextRunAt, minute(1));
  clock.advanceTo(minute(1));
  await waitFor(() => store.history('shop').some((r) => r.state === 'running'), { what: 'the first run to start' });
  // 90 s into the first run: the start of minute 2 finds it running.
  clock.advanceTo(minute(1) + 90_000);
  const skipped = store.history('shop').find((r) => r.state === 'skipped');
  assert.ok(skipped, 'the second start is recorded as skipped');
  assert.equal(skipped.scheduledFor, minute(2));
  assert.match(skipped.reason ?? '', /still running \(overlap: skip\)/);
  writeFileSync(join(dir, 'done'), '');
  await waitFor(() => store.history('shop').some((r) => r.state === 'succeeded'), { what: 'the first run to finish' });
  clock.advanceTo(minute(3));
  await waitFor(() => store.history('shop').filter((r) => r.state === 'succeeded').length === 2, { what: 'the minute-3 run' });
  await scheduler.stop();
  const history = store.history('shop', { task: 'sync' });
  assert.deepEqual(
    history.map((r) => [r.state, new Date(r.scheduledFor ?? 0).toISOString(), r.exitCode, r.release, r.trigger]),
    [
      ['succeeded', '2026-01-01T00:03:00.000Z', 0, 'v1', 'schedule'],
      ['skipped', '2026-01-01T00:02:00.000Z', null, null, 'schedule'],
      ['succeeded', '2026-01-01T00:01:00.000Z', 0, 'v1', 'schedule'],
    ],
  );
  assert.equal(history[2].outputTail, 'hello from v1');
  assert.deepEqual(
    events.map((e) => e.type),
    ['task:started', 'task:skipped', 'task:succeeded', 'task:started', 'task:succeeded'],
  );
  assert.equal(clock.pending(), 0, 'stop() disarms the schedule');
});

test('a run that outlives timeoutMs is killed with its whole process group and recorded as failed', async () => {
  const { dir, store, execute } = taskFixture();
  const tasks = parseTasks({
    hang: { schedule: '0 2 * * *', command: `sh -c 'echo $$ > grandchild.pid; exec sleep 60' & wait`, timeoutMs: '400ms' },
  });
  const scheduler = new TaskScheduler({ service: 'shop', tasks, store, execute, clock: createManualClock(T0) });
  const record = await scheduler.runNow('hang', { actor: 'ops' });
  assert.equal(record.state, 'failed');
  assert.equal(record.timedOut, true);
  assert.equal(record.trigger, 'manual');
  assert.equal(record.actor, 'ops');
  assert.match(record.reason ?? '', /timed out after 400 ms; its whole process group was killed/);
  const grandchild = Number(readFileSync(join(dir, 'grandchild.pid'), 'utf8'));
  await waitFor(() => !isPidAlive(grandchild), { what: `grandchild ${grandchild} to be killed` });
});

test('a failing task is retried, each attempt recorded, and raises task:failed once', async () => {
  const { store, execute } = taskFixture();
  const events: TaskEvent[] = [];
  const tasks = parseTasks({
    flaky: { schedule: '0 2 * * *', command: ['sh', '-c', 'echo nope >&2; exit 3'], retries: 2, retryDelayMs: 0 },
  });
  const scheduler = new TaskScheduler({
    service: 'shop',
    tasks,
    store,
    execute,
    clock: createManualClock(T0),
    onEvent: (e) => events.push(e),
  });
  const record = await scheduler.runNow('flaky');
  assert.equal(record.state, 'failed');
  assert.equal(record.exitCode, 3);
  assert.equal(record.outputTail, 'nope');
  assert.deepEqual(
    store.history('shop').map((r) => [r.attempt, r.trigger, r.state]),
    [
      [3, 'retry', 'failed'],
      [2, 'retry', 'failed'],
      [1, 'manual', 'failed'],
    ],
  );
  assert.equal(events.filter((e) => e.type === 'task:failed').length, 1);
});

test('overlap: queue runs the second start after the first; overlap: replace cancels the running one', async () => {
  const { dir, store, execute } = taskFixture();
  const tasks = parseTasks({
    queued: { schedule: '0 2 * * *', command: 'while [ ! -e go ]; do sleep 0.05; done', overlap: 'queue' },
    replaced: { schedule: '0 2 * * *', command: 'sleep 30', overlap: 'replace' },
  });
  const scheduler = new TaskScheduler({ service: 'shop', tasks, store, execute, clock: createManualClock(T0) });
  const first = scheduler.runNow('queued');
  const second = scheduler.runNow('queued');
  await waitFor(() => store.history('shop', { task: 'queued' }).length === 1, { what: 'the first queued run' });
  writeFileSync(join(dir, 'go'), '');
  const [a, b] = await Promise.all([first, second]);
  assert.deepEqual([a.state, b.state], ['succeeded', 'succeeded']);
  assert.ok(b.startedAt >= a.endedAt!, 'the queued start waited for the first run');

  const long = scheduler.runNow('replaced');
  await waitFor(() => store.history('shop', { task: 'replaced' }).length === 1, { what: 'the run to be replaced' });
  const replacement = scheduler.runNow('replaced');
  assert.equal((await long).state, 'cancelled');
  await waitFor(() => scheduler.list().find((t) => t.name === 'replaced')?.runningId === runningReplacementId(store), {
    what: 'the replacement to run',
  });
  await scheduler.stop();
  assert.equal((await replacement).state, 'cancelled', 'stop() ends the running replacement too');
});

function runningReplacementId(store: ReturnType<typeof taskFixture>['store']): number | undefined {
  return store.history('shop', { task: 'replaced' }).find((r) => r.state === 'running')?.id;
}

test('catchUp: last runs a start missed while the scheduler was down, once; catchUp: none does not', async () => {
  const { store, execute } = taskFixture();
  const tasks = parseTasks({
    nightly: { schedule: '*/5 * * * *', command: 'true', catchUp: 'last' },
    plain: { schedule: '*/5 * * * *', command: 'true' },
  });
  for (const task of ['nightly', 'plain']) {
    const id = store.start({
      service: 'shop',
      kind: 'task',
      task,
      trigger: 'schedule',
      attempt: 1,
      command: 'true',
      release: 'v1',
      scheduledFor: minute(5),
      startedAt: minute(5),
    });
    store.finish(id, {
      state: 'succeeded',
      endedAt: minute(5),
      exitCode: 0,
      signal: null,
      timedOut: false,
      outputTail: '',
      reason: null,
      release: 'v1',
    });
  }
  // Down from 00:06 to 00:17: the 00:10 and 00:15 starts were missed.
  const scheduler = new TaskScheduler({ service: 'shop', tasks, store, execute, clock: createManualClock(minute(17)) });
  scheduler.start();
  await waitFor(() => store.history('shop', { task: 'nightly' }).some((r) => r.trigger === 'catch-up' && r.state === 'succeeded'), {
    what: 'the catch-up run',
  });
  await scheduler.stop();
  const caughtUp = store.history('shop', { task: 'nightly' });
  assert.equal(caughtUp.length, 2);
  assert.equal(caughtUp[0].scheduledFor, minute(15));
  assert.equal(store.history('shop', { task: 'plain' }).length, 1);
});

test('an unknown task name is refused with a code that lists the known ones', async () => {
  const { store, execute } = taskFixture();
  const scheduler = new TaskScheduler({
    service: 'shop',
    tasks: parseTasks({ a: { schedule: '@daily', command: 'true' } }),
    store,
    execute,
  });
  await assert.rejects(
    () => scheduler.runNow('b'),
    (error: unknown) => error instanceof CutoverError && error.code === 'CUT_ERR_TASK_UNKNOWN' && /known tasks: a/.test(error.hint ?? ''),
  );
});

test('runs of a runner process that died are marked interrupted when the scheduler starts', () => {
  const { store, execute } = taskFixture();
  const id = store.start({
    service: 'shop',
    kind: 'task',
    task: 'a',
    trigger: 'schedule',
    attempt: 1,
    command: 'true',
    release: 'v1',
    scheduledFor: null,
    startedAt: T0,
  });
  store.db.prepare('UPDATE task_runs SET runner_pid = 999999999 WHERE id = ?').run(id);
  new TaskScheduler({
    service: 'shop',
    tasks: parseTasks({ a: { schedule: '@daily', command: 'true' } }),
    store,
    execute,
    clock: createManualClock(T0),
  }).start();
  assert.equal(store.run(id)?.state, 'interrupted');
});
