import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { notifySectionSchema, type WebhookConfig } from '../../../src/config/schema-notify.ts';
import { buildWebhookRequest, signWebhook } from '../../../src/controller/notify/build-webhook-request.ts';
import { taskFailed } from '../../../src/controller/notify/deployment-notifications.ts';
import type { Notification } from '../../../src/controller/notify/notification.ts';
import { NotificationStore } from '../../../src/controller/notify/notification-store.ts';
import { Notifier, retryDelayMs } from '../../../src/controller/notify/notifier.ts';
import { TaskScheduler } from '../../../src/controller/tasks/task-scheduler.ts';
import { createManualClock } from '../../helpers/manual-clock.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { closedPort, startWebhookReceiver } from '../../helpers/webhook-receiver.ts';
import { parseTasks, taskFixture } from '../tasks/task-fixtures.ts';

const SECRET = 'whsec-test-9f86d081884c7d65';

function webhooks(input: unknown[]): WebhookConfig[] {
  return notifySectionSchema.notify.parse({ webhooks: input }).webhooks;
}

function notifierFixture(list: WebhookConfig[], env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-notify-'));
  const store = new NotificationStore(join(dir, 'cutover.db'));
  const notifier = new Notifier({ service: 'shop', webhooks: list, store, root: dir, env });
  return { dir, store, notifier };
}

const FAILED: Notification = {
  event: 'deployment:failed',
  service: 'shop',
  at: Date.parse('2026-01-01T02:00:00Z'),
  text: 'shop: deploy 4 of v2 failed: validation failed',
  deployment: { id: 4, release: 'v2', fromRelease: 'v1', kind: 'deploy', state: 'failed', reason: 'validation failed' },
};

test('a webhook request is signed over "<timestamp>.<body>" with HMAC-SHA256', () => {
  const request = buildWebhookRequest({
    url: 'https://hooks.example.com/x',
    deliveryId: 'd-1',
    event: 'task:failed',
    body: '{"a":1}',
    secret: 'k',
    nowMs: 1_767_225_600_123,
  });
  assert.deepEqual(request, {
    url: 'https://hooks.example.com/x',
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'cutover-webhook',
      'x-cutover-event': 'task:failed',
      'x-cutover-delivery': 'd-1',
      'x-cutover-timestamp': '1767225600',
      'x-cutover-signature': `sha256=${createHmac('sha256', 'k').update('1767225600.{"a":1}').digest('hex')}`,
    },
    body: '{"a":1}',
  });
  assert.equal(signWebhook('k', '1767225600', '{"a":1}').length, 64);
  const unsigned = buildWebhookRequest({ url: 'http://x/', deliveryId: 'd', event: 'e', body: '{}', secret: null, nowMs: 0 });
  assert.equal(unsigned.headers['x-cutover-signature'], undefined);
  assert.deepEqual(
    [1, 2, 3, 4, 10].map((n) => retryDelayMs(1000, n)),
    [1000, 2000, 4000, 8000, 60_000],
  );
});

test('a delivery reaches a real receiver with its JSON body and a signature the receiver can check; the secret is in no record', async () => {
  const receiver = await startWebhookReceiver();
  const { dir, store, notifier } = notifierFixture(webhooks([{ name: 'team', url: receiver.url, secretEnv: 'HOOK_SECRET' }]), {
    HOOK_SECRET: SECRET,
  });
  const [id] = notifier.notify(FAILED);
  assert.ok(await notifier.settled(10_000));
  await receiver.close();
  assert.equal(receiver.received.length, 1);
  const [got] = receiver.received;
  const timestamp = got.headers['x-cutover-timestamp'] as string;
  assert.equal(got.headers['x-cutover-signature'], `sha256=${signWebhook(SECRET, timestamp, got.body)}`);
  assert.deepEqual(JSON.parse(got.body), { id, ...FAILED, at: '2026-01-01T02:00:00.000Z' });
  assert.deepEqual((({ state, attempts, lastStatus, target }) => ({ state, attempts, lastStatus, target }))(store.delivery(id)!), {
    state: 'delivered',
    attempts: 1,
    lastStatus: 200,
    target: 'team',
  });
  store.close();
  for (const file of readdirSync(dir)) assert.ok(!readFileSync(join(dir, file)).includes(SECRET), `${file} holds the secret`);
});

test('a receiver that is down: the delivery is retried with backoff, each attempt recorded, and delivered once it is up', async () => {
  const port = await closedPort();
  const { store, notifier } = notifierFixture(webhooks([{ url: `http://127.0.0.1:${port}/hook`, retries: 6, retryDelayMs: '100ms' }]));
  const [id] = notifier.notify(FAILED);
  await waitFor(() => (store.delivery(id)?.attempts ?? 0) >= 2, { what: 'two failed attempts' });
  const pending = store.delivery(id)!;
  assert.equal(pending.state, 'pending');
  assert.match(pending.lastError ?? '', /could not connect \(ECONNREFUSED\)/);
  assert.equal(pending.target, `127.0.0.1:${port}`);
  const receiver = await startWebhookReceiver({ port });
  await waitFor(() => store.delivery(id)?.state === 'delivered', { what: 'the delivery once the receiver is up', timeoutMs: 20_000 });
  await receiver.close();
  assert.equal(receiver.received.length, 1);
  assert.ok(store.delivery(id)!.attempts >= 3);
  notifier.stop();
});

test('a 4xx answer ends the delivery at once; a 5xx is retried; a missing secret is recorded without sending', async () => {
  const receiver = await startWebhookReceiver();
  const gone = await startWebhookReceiver({ statuses: [404] });
  const busy = await startWebhookReceiver({ statuses: [503] });
  const { store, notifier } = notifierFixture(
    webhooks([
      { name: 'gone', url: gone.url, events: ['deployment:failed'] },
      { name: 'busy', url: busy.url, events: ['deployment:failed'], retryDelayMs: '50ms' },
      { name: 'nosecret', url: receiver.url, secretEnv: 'UNSET_SECRET', retries: 0 },
      { name: 'other', url: receiver.url, events: ['task:failed'] },
    ]),
  );
  const ids = notifier.notify(FAILED);
  assert.equal(ids.length, 3, 'the webhook subscribed to task:failed only gets nothing');
  assert.ok(await notifier.settled(10_000));
  await Promise.all([receiver.close(), gone.close(), busy.close()]);
  assert.equal(receiver.received.length, 0);
  const byTarget = Object.fromEntries(store.deliveries('shop').map((d) => [d.target, [d.state, d.attempts, d.lastStatus, d.lastError]]));
  assert.deepEqual(byTarget, {
    gone: ['failed', 1, 404, 'the receiver answered 404'],
    busy: ['delivered', 2, 200, null],
    nosecret: ['failed', 1, null, "the secret's environment variable UNSET_SECRET is not set"],
  });
});

test('a failing task raises one notification, and the task is not held up by a receiver that is down', async () => {
  const port = await closedPort();
  const { store: runs, execute } = taskFixture();
  const { store, notifier } = notifierFixture(
    webhooks([{ url: `http://127.0.0.1:${port}/hook`, events: ['task:failed'], retries: 3, retryDelayMs: '100ms' }]),
  );
  const scheduler = new TaskScheduler({
    service: 'shop',
    tasks: parseTasks({ sync: { schedule: '0 2 * * *', command: 'echo cannot sync >&2; exit 2', retries: 1, retryDelayMs: 0 } }),
    store: runs,
    execute,
    clock: createManualClock(Date.parse('2026-01-01T00:00:00Z')),
    onEvent: (event) => {
      if (event.type === 'task:failed') notifier.notify(taskFailed(event.run, Date.now()));
    },
  });
  const started = performance.now();
  const run = await scheduler.runNow('sync');
  assert.ok(performance.now() - started < 5_000);
  assert.equal(run.state, 'failed');
  await waitFor(() => (store.deliveries('shop')[0]?.attempts ?? 0) >= 1, { what: 'a first failed attempt' });
  const receiver = await startWebhookReceiver({ port });
  await waitFor(() => store.deliveries('shop')[0]?.state === 'delivered', { what: 'the delivery', timeoutMs: 20_000 });
  await receiver.close();
  assert.equal(store.deliveries('shop').length, 1, 'two failed attempts of one run are one notification');
  const body = JSON.parse(receiver.received[0].body);
  assert.equal(body.event, 'task:failed');
  assert.equal(body.task.exitCode, 2);
  assert.equal(body.task.outputTail, 'cannot sync');
  assert.match(body.text, /task sync failed \(exited 2\) after 2 attempts/);
});

test('a pending delivery left by a process that stopped is sent by the next notifier (resume)', async () => {
  const port = await closedPort();
  const list = webhooks([{ url: `http://127.0.0.1:${port}/hook`, retryDelayMs: '50ms' }]);
  const first = notifierFixture(list);
  const [id] = first.notifier.notify(FAILED);
  await waitFor(() => (first.store.delivery(id)?.attempts ?? 0) >= 1, { what: 'a failed attempt' });
  first.notifier.stop();
  const receiver = await startWebhookReceiver({ port });
  const second = new Notifier({
    service: 'shop',
    webhooks: list,
    store: new NotificationStore(join(first.dir, 'cutover.db')),
    root: first.dir,
  });
  second.resume();
  assert.ok(await second.settled(10_000));
  await receiver.close();
  assert.equal(first.store.delivery(id)?.state, 'delivered');
});

test('notify: is validated: http(s) URLs, known events, one secret source', () => {
  const bad = notifySectionSchema.notify.safeParse({
    webhooks: [
      { url: 'ftp://x' },
      { url: 'https://x', events: ['deployment:exploded'] },
      { url: 'https://x', secretEnv: 'A', secretFile: 'b' },
    ],
  });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.deepEqual(paths.sort(), ['webhooks.0.url', 'webhooks.1.events.0', 'webhooks.2.secretFile']);
});
