import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { agentPaths } from '../../src/agent/agent-paths.ts';
import type { DashboardContext } from '../../src/dashboard/dashboard-context.ts';
import { DashboardServer } from '../../src/dashboard/dashboard-server.ts';
import { tasksView } from '../../src/dashboard/dashboard-snapshot.ts';
import { EventFeed } from '../../src/dashboard/event-feed.ts';
import { AgentClient } from '../../src/platform/agent-client.ts';
import { DeploymentStore } from '../../src/store/deployment-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-dashboard-'));
const store = new DeploymentStore(join(dir, 'cutover.db'));
const feed = new EventFeed(store);
const submitted: unknown[] = [];
// A real agent client on a data directory where no agent runs: the page shows the record alone.
const context: DashboardContext = {
  paths: agentPaths(dir),
  store,
  agent: new AgentClient(dir),
  events: { onAny: () => () => {} },
  deployments: {
    async submit(submission) {
      submitted.push(submission);
      return 99;
    },
  },
};
const server = new DashboardServer(context, feed, 'admin-token-for-test');
let base = '';
let token = '';

before(async () => {
  feed.start();
  const address = await server.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${address.port}`;
  token = new URL(address.url).searchParams.get('token') ?? '';
});
after(async () => {
  await server.close();
  feed.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function post(body: unknown): Promise<{ status: number; json: { error?: { code: string } } & Record<string, unknown> }> {
  const res = await fetch(`${base}/api/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { error?: { code: string } } };
}

test('the page needs its token (or the admin token) and the Host it listens on; assets need neither', async () => {
  assert.equal((await get('/')).status, 401);
  assert.equal((await get('/?token=wrong')).status, 401);
  const page = await get(`/?token=${token}`);
  assert.equal(page.status, 200);
  assert.match(page.body, /<h2 id="h-services">Services<\/h2>/);
  assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//, 'nothing loads from another origin');
  assert.equal((await get('/', { authorization: 'Bearer admin-token-for-test' })).status, 200);
  assert.equal((await get(`/?token=${token}`, { host: 'attacker.example' })).status, 421);
  const asset = await get('/assets/uPlot.iife.min.js');
  assert.equal(asset.status, 200);
  assert.ok(asset.body.length > 10_000);
});

test('a recorded event reaches an open event stream at once, as a record line', async () => {
  const id = store.createDeployment({ service: 'svc', kind: 'deploy', fromRelease: null, toRelease: 'v1', actor: 'a', host: 'h', pid: 1 });
  const controller = new AbortController();
  const res = await fetch(`${base}/api/events?token=${token}`, { signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const started = Date.now();
  store.addEvent(id, 'weights:set', { weights: { v1: 100 } });
  let text = '';
  while (!text.includes('event: record')) text += new TextDecoder().decode((await reader.read()).value);
  assert.ok(Date.now() - started < 1000);
  assert.match(text, /"type":"weights:set"/);
  controller.abort();
});

test('actions name who asks, act only on what runs, and roll back with the config last submitted', async () => {
  const id = store.createDeployment({ service: 'roll', kind: 'deploy', fromRelease: null, toRelease: 'v1', actor: 'a', host: 'h', pid: 1 });
  store.setSubmission(id, { configFile: '/srv/roll/cutover.yml', configText: 'service: roll\n', release: 'v1' });
  assert.equal((await post({ action: 'abort', deploymentId: id })).json.error?.code, 'CUT_ERR_DASHBOARD_ACTION', 'no name, no action');
  store.finishDeployment(id, 'succeeded', null);
  const second = store.createDeployment({
    service: 'roll',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'a',
    host: 'h',
    pid: 1,
  });
  store.finishDeployment(second, 'succeeded', null);
  assert.equal((await post({ action: 'abort', deploymentId: second, actor: 'ana' })).json.error?.code, 'CUT_ERR_DEPLOY_NOT_RUNNING');
  assert.equal((await post({ action: 'reboot', actor: 'ana' })).json.error?.code, 'CUT_ERR_DASHBOARD_ACTION');
  const rolling = store.createDeployment({
    service: 'other',
    kind: 'deploy',
    fromRelease: 'v1',
    toRelease: 'v2',
    actor: 'a',
    host: 'h',
    pid: 1,
  });
  store.addFacts(rolling, { strategy: 'rolling' });
  assert.equal((await post({ action: 'promote', deploymentId: rolling, actor: 'ana' })).json.error?.code, 'CUT_ERR_DEPLOY_SIGNAL_REFUSED');
  store.finishDeployment(rolling, 'failed', 'test');
  const rollback = await post({ action: 'rollback', service: 'roll', actor: 'ana' });
  assert.equal(rollback.status, 200, JSON.stringify(rollback.json));
  assert.deepEqual(rollback.json, { action: 'rollback', deploymentId: 99, release: 'v1' });
  assert.deepEqual(submitted, [
    {
      configFile: '/srv/roll/cutover.yml',
      configText: 'service: roll\n',
      release: 'v1',
      kind: 'rollback',
      actor: 'ana (dashboard)',
      reason: 'rollback from the dashboard',
      skipChecks: [],
    },
  ]);
});

test("a deployment submitted in an environment: its tasks and a rollback from the page use the environment's overlay", async () => {
  const environment = {
    name: 'staging',
    file: '/srv/envsvc/cutover.staging.yml',
    text: 'tasks:\n  nightly:\n    schedule: "0 3 * * *"\n    command: "true"\n',
  };
  const base = { configFile: '/srv/envsvc/cutover.yml', configText: 'service: envsvc\nprocesses:\n  web:\n    command: node app.js\n' };
  const deploy = (fromRelease: string | null, toRelease: string) =>
    store.createDeployment({ service: 'envsvc', kind: 'deploy', fromRelease, toRelease, actor: 'a', host: 'h', pid: 1 });
  store.finishDeployment(deploy(null, 'v1'), 'succeeded', null);
  const second = deploy('v1', 'v2');
  store.setSubmission(second, { ...base, environment, release: 'v2' });
  store.finishDeployment(second, 'succeeded', null);
  assert.deepEqual(
    tasksView(store)
      .filter((view) => view.service === 'envsvc')
      .map((view) => view.task),
    ['nightly'],
    'the tasks come from the overlay, which the base file lacks',
  );
  submitted.length = 0;
  const rollback = await post({ action: 'rollback', service: 'envsvc', actor: 'ana' });
  assert.equal(rollback.status, 200, JSON.stringify(rollback.json));
  assert.deepEqual(submitted, [
    {
      ...base,
      environment,
      release: 'v1',
      kind: 'rollback',
      actor: 'ana (dashboard)',
      reason: 'rollback from the dashboard',
      skipChecks: [],
    },
  ]);
});
