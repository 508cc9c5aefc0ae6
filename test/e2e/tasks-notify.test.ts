// Tasks, one-off commands, notifications and a load test against a real agent and real deploys:
// a receiver that is down never fails a deploy; its deliveries are retried and recorded, then sent.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { Sandbox } from './support/sandbox.ts';

const SECRET = 'e2e-webhook-secret-3c1f';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('tasks, cutover run and notifications with a real agent', () => {
  const box = new Sandbox('cutover-tasks-e2e-');
  let hookPort = 0;
  const deliveries = () => {
    const db = new DatabaseSync(join(box.dir, '.cutover', 'cutover.db'), { readOnly: true });
    try {
      return db.prepare('SELECT event, state, attempts, last_error FROM notification_deliveries ORDER BY created_at').all() as {
        event: string;
        state: string;
        attempts: number;
        last_error: string | null;
      }[];
    } finally {
      db.close();
    }
  };

  before(async () => {
    hookPort = await freePort();
    box.release('v1', {});
    box.release('v2', {});
    writeFileSync(join(box.dir, 'releases', 'v2', 'VERSION'), 'v2\n');
    writeFileSync(join(box.dir, 'webhook.secret'), `${SECRET}\n`, { mode: 0o600 });
    await box.writeConfig(
      (port) => `service: chores
release: { source: directory, path: 'releases/{release}' }
env: { GREETING: hi }
processes:
  web:
    command: node server.js
    health: { type: http, path: /up, startTimeoutMs: 10s }
agent: { httpPort: ${port} }
validation:
  loadTest: { path: /, ratePerSecond: 50, durationMs: 1s, success: { maxP95Ms: 2000 } }
tasks:
  report:
    schedule: "0 3 * * *"
    command: cat VERSION; echo "$GREETING"
  broken:
    schedule: "0 4 * * *"
    command: echo nope >&2; exit 9
notify:
  webhooks:
    - name: team
      url: http://127.0.0.1:${hookPort}/hook
      secretFile: webhook.secret
      retries: 8
      retryDelayMs: 200ms
`,
    );
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up failed:\n${up.stdout}\n${up.stderr}`);
  });

  after(() => box.cleanup());

  test('a deploy with the receiver down succeeds; the deliveries are retried, recorded, and sent once it is up', async () => {
    const deploy = await box.cli(['deploy', 'v2', '--json']);
    assert.equal(deploy.code, 0, deploy.stderr);
    const record = JSON.parse(deploy.stdout).deployment;
    const validation = record.steps.find((s: { name: string }) => s.name === 'validation');
    const load = validation.values.checks.find((c: { kind: string }) => c.kind === 'load-test');
    assert.equal(load.outcome, 'pass', load.message);
    assert.equal(load.measured.offered, 50);

    // cutover up (v1) and this deploy (v2): started and succeeded each, none delivered yet.
    const pending = deliveries();
    assert.deepEqual(pending.map((d) => d.event).sort(), [
      'deployment:started',
      'deployment:started',
      'deployment:succeeded',
      'deployment:succeeded',
    ]);
    for (const d of pending) {
      assert.equal(d.state, 'pending');
      assert.ok(d.attempts >= 1, 'attempted at least once');
      assert.match(d.last_error ?? '', /ECONNREFUSED/);
    }

    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(hookPort, '127.0.0.1', resolve));
    try {
      // Tasks run in the release that serves (v2 now), with its env; a failing one raises task:failed.
      const report = await box.cli(['tasks', 'run', 'report']);
      assert.equal(report.code, 0, report.stderr);
      assert.match(report.stdout, /^v2\nhi\n/);
      const broken = await box.cli(['tasks', 'run', 'broken']);
      assert.equal(broken.code, 9);
      const run = await box.cli(['run', '--json', '--', 'sh', '-c', 'cat VERSION']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).run.release, 'v2');

      const events = received.map((r) => JSON.parse(r.body).event as string).sort();
      assert.ok(events.includes('deployment:succeeded'), `received ${events.join(', ')}`);
      assert.equal(events.filter((e) => e === 'task:failed').length, 1);
      for (const r of received) {
        const expected = createHmac('sha256', SECRET).update(`${r.headers['x-cutover-timestamp']}.${r.body}`).digest('hex');
        assert.equal(r.headers['x-cutover-signature'], `sha256=${expected}`);
      }
      // The controller's notifier retries the pending deliveries on its backoff (8 retries from 200 ms).
      const deadline = Date.now() + 90_000;
      while (!deliveries().every((d) => d.state === 'delivered')) {
        assert.ok(Date.now() < deadline, JSON.stringify(deliveries()));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const history = JSON.parse((await box.cli(['tasks', 'history', '--json'])).stdout).runs;
      assert.deepEqual(
        history.map((r: { kind: string; task: string | null; state: string }) => [r.kind, r.task, r.state]),
        [
          ['run', null, 'succeeded'],
          ['task', 'broken', 'failed'],
          ['task', 'report', 'succeeded'],
        ],
      );
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
