import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { agentPaths } from '../../src/agent/agent-paths.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { ControllerDeploymentEvent } from '../../src/controller/notify/notification-service.ts';
import { taskAndNotifyServices } from '../../src/controller/task-and-notify-services.ts';
import { buildReleasePlan } from '../../src/releases/release-plan.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

test('the controller services take tasks and webhooks from the submitted config of each deployment', async () => {
  const receiver = await startWebhookReceiver();
  const root = mkdtempSync(join(tmpdir(), 'cutover-controller-ext-'));
  mkdirSync(join(root, 'releases', 'v1'), { recursive: true });
  const configFile = join(root, 'cutover.yml');
  const configText = `service: shop\nprocesses:\n  web:\n    command: node server.js\ntasks:\n  nightly:\n    schedule: "0 2 * * *"\n    command: "true"\nnotify:\n  webhooks:\n    - url: ${receiver.url}\n      events: [deployment:succeeded]\n`;
  const loaded = parseConfigText(configText, configFile);
  const store = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
  // The controller records each submission beside its deployment.
  store.db.exec('ALTER TABLE deployments ADD COLUMN submission_json TEXT');
  const dir = join(root, 'releases', 'v1');
  store.upsertRelease({ service: 'shop', name: 'v1', dir, specs: buildReleasePlan(loaded, 'v1', dir, process.env) });
  const id = store.createDeployment({ service: 'shop', kind: 'deploy', fromRelease: null, toRelease: 'v1', actor: 't', host: 'h', pid: 1 });
  store.db
    .prepare('UPDATE deployments SET submission_json = ? WHERE id = ?')
    .run(JSON.stringify({ configFile, configText, release: 'v1' }), id);
  store.finishDeployment(id, 'succeeded', null, null);
  const emitter = new EventEmitter();
  const context = {
    paths: { deploymentsDb: agentPaths(loaded.dataDir).deploymentsDb },
    store: Object.assign(store, {
      submission: (n: number) => {
        const row = store.db.prepare('SELECT submission_json FROM deployments WHERE id = ?').get(n);
        return row?.submission_json ? (JSON.parse(row.submission_json as string) as Record<string, unknown>) : null;
      },
    }),
    events: {
      onAny: (listener: (name: string, payload: ControllerDeploymentEvent) => void) => {
        emitter.on('any', listener);
        return () => emitter.off('any', listener);
      },
    },
  };
  const { notifications, tasks } = taskAndNotifyServices(context);
  await notifications.start();
  await tasks.start();
  assert.deepEqual(
    tasks
      .tasksOf('shop')
      ?.scheduler.list()
      .map((t) => t.name),
    ['nightly'],
  );
  emitter.emit('any', 'deployment:succeeded', { deploymentId: id, service: 'shop', release: 'v1', kind: 'deploy', at: Date.now() });
  await waitFor(() => receiver.received.length === 1, { what: 'the succeeded notification' });
  await tasks.stop();
  await notifications.stop();
  await receiver.close();
  store.close();
  assert.equal(JSON.parse(receiver.received[0].body).event, 'deployment:succeeded');
});
