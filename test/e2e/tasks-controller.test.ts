// `cutover tasks run` asks the controller, whose scheduler runs the task's schedule: one overlap
// rule covers scheduled and manual runs. `cutover tasks serve` shares the controller's tasks lease,
// so the two never both schedule a service. Real agent, real controller, the CLI in processes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Sandbox } from './support/sandbox.ts';

interface RunJson {
  id: number;
  task: string | null;
  state: string;
  trigger: string;
  reason: string | null;
}

describe('tasks through the controller', () => {
  const box = new Sandbox('cutover-tasks-controller-');
  const history = async (): Promise<RunJson[]> => JSON.parse((await box.cli(['tasks', 'history', 'slow', '--json'])).stdout).runs;

  before(async () => {
    box.release('v1', {});
    await box.writeConfig(
      (port) => `service: chores2
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    health: { type: http, path: /up, startTimeoutMs: 10s }
agent: { httpPort: ${port} }
tasks:
  slow:
    schedule: "*/10 * * * * *"
    command: sleep 8; echo slow done
    overlap: skip
  quick:
    schedule: "0 3 * * *"
    command: echo "quick from $CUTOVER_RELEASE"
`,
    );
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('tasks run goes through the controller: a run while the scheduled one runs is skipped under overlap: skip', async () => {
    const quick = await box.cli(['tasks', 'run', 'quick', '--json']);
    assert.equal(quick.code, 0, quick.stderr);
    const done = JSON.parse(quick.stdout) as { run: RunJson & { outputTail: string }; ranIn: string };
    assert.equal(done.ranIn, 'controller');
    assert.equal(done.run.outputTail, 'quick from v1');
    const human = await box.cli(['tasks', 'run', 'quick']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^quick from v1\n/, 'the output streams back from the controller');
    assert.equal(human.stderr, '', 'no fallback note: the controller ran it');

    // The controller's scheduler starts slow every 10 s for 8 s; while one runs, a manual start is skipped.
    let running: RunJson | undefined;
    const deadline = Date.now() + 60_000;
    while (!running) {
      assert.ok(Date.now() < deadline, 'the controller scheduled slow');
      running = (await history()).find((r) => r.state === 'running' && r.trigger === 'schedule');
    }
    const manual = await box.cli(['tasks', 'run', 'slow', '--json']);
    const skipped = JSON.parse(manual.stdout) as { run: RunJson; ranIn: string; error?: { code: string } };
    assert.equal(skipped.ranIn, 'controller');
    assert.equal(skipped.run.trigger, 'manual');
    assert.equal(skipped.run.state, 'skipped', `asked while run ${running.id} ran: ${JSON.stringify(skipped.run)}`);
    assert.equal(manual.code, 1);
    assert.equal(skipped.error?.code, 'CUT_ERR_TASK_FAILED');
    assert.match(skipped.run.reason ?? '', /was still running \(overlap: skip\)/);
    const runs = await history();
    assert.ok(
      runs.some((r) => r.trigger === 'manual'),
      'the manual run is recorded with the scheduled ones',
    );
  });

  test('tasks serve is refused while the controller schedules the service (one lease)', async () => {
    const serve = await box.cli(['tasks', 'serve', '--json'], { timeoutMs: 30_000 });
    assert.equal(serve.code, 4, serve.stdout + serve.stderr);
    const error = JSON.parse(serve.stdout).error as { code: string; message: string };
    assert.equal(error.code, 'CUT_ERR_TASK_SCHEDULER_RUNNING');
    assert.match(error.message, /the controller, or another "cutover tasks serve"/);
  });
});
