import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createControllerApi } from '../../src/controller/api/controller-api.ts';
import { type DeploymentRoutesContext, deploymentRoutes } from '../../src/controller/api/deployment-routes.ts';
import type { DeploymentReconciler } from '../../src/controller/deployment-reconciler.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

const TOKEN = 'follow-test-token';

test("a follow stream sends the controller's own events and the deployment's end without waiting for its poll", {
  timeout: 60_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-follow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new DeploymentStore(join(dir, 'cutover.db'));
  t.after(() => store.close());
  const id = store.createDeployment({
    service: 'web',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'test',
    host: 'localhost',
    pid: process.pid,
  });
  // A poll this slow never fires within the test: only the wake on the store's writes can end the stream.
  const context: DeploymentRoutesContext = { store, deployments: {} as DeploymentReconciler, followPollMs: 3_600_000 };
  const app = createControllerApi({ token: TOKEN, context, modules: [deploymentRoutes] });
  t.after(() => app.close());
  store.addEvent(id, 'step:note', { before: 'the stream opens' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const lines: { kind: string; type?: string; state?: string }[] = [];
  let onLine = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    get(`${address}/v1/deployments/${id}/follow`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          lines.push(JSON.parse(buffered.slice(0, nl)));
          buffered = buffered.slice(nl + 1);
          onLine();
        }
      });
      res.on('end', resolve);
    }).on('error', reject);
  });
  // The first line proves the stream's first look is done: what follows can only come from a wake.
  await new Promise<void>((resolve) => {
    onLine = resolve;
  });
  store.addEvent(id, 'batch:starting', { release: 'v2' });
  store.finishDeployment(id, 'succeeded', null);
  await ended;
  assert.deepEqual(
    lines.map((line) => line.type ?? line.kind),
    ['step:note', 'batch:starting', 'end'],
  );
  assert.equal(lines.at(-1)?.state, 'succeeded');
});
