import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent } from '../../src/agent/agent.ts';
import { AgentClient } from '../../src/platform/agent-client.ts';
import { makeSandbox, type Sandbox, spec } from './supervisor/test-apps.ts';

let box: Sandbox;
let agent: Agent;
let client: AgentClient;
let proxyPort: number;

before(async () => {
  box = await makeSandbox();
  const dataDir = join(box.dir, 'data');
  agent = new Agent({
    dataDir,
    httpPort: 0,
    listenHost: '127.0.0.1',
    portRange: await reservePortRange(),
    logMaxBytes: 1024 * 1024,
    logKeepFiles: 1,
  });
  proxyPort = (await agent.start()).httpPort;
  // The controller's path: the admin API over the data directory's socket, with its token.
  client = new AgentClient(dataDir);
  // A drain timeout far beyond the test's run, so that only the request's own end can let the stop go on.
  await client.setRoute({
    service: 'shop',
    hosts: [],
    pathPrefix: '/',
    stripPrefix: false,
    drainTimeoutMs: 600_000,
    websocketGraceMs: 100,
  });
});
after(async () => {
  await agent.stop({ stopInstances: true });
  await box.cleanup();
});

async function until(check: () => Promise<boolean> | boolean, label: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('retiring an instance: SIGTERM only after a request in flight through the proxy was answered', { timeout: 120_000 }, async () => {
  const sigtermFile = join(box.dir, 'sigterm');
  const started = await client.startInstance(spec(box, { appEnv: { SIGTERM_FILE: sigtermFile } }), true);
  const id = started.spec.id;
  await until(async () => (await client.state('shop')).instances.some((i) => i.spec.id === id && i.inPool), 'in the pool');
  const { port } = await client.instance(id);
  const direct = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();

  // A slow request, through the proxy, that the app answers only when told to.
  const slow = fetch(`http://127.0.0.1:${proxyPort}/hold`).then(async (r) => ({ status: r.status, body: await r.text() }));
  await until(async () => (await direct('/held')) === '1', 'the app holding the request');

  let stopped = false;
  const stopping = client.stopInstance(id).finally(() => {
    stopped = true;
  });
  await until(async () => (await client.state('shop')).services[0]!.targets.find((t) => t.id === id)?.draining === true, 'draining');
  // The retire is under way and waits for the request: the app is still serving, untold.
  assert.equal(existsSync(sigtermFile), false, 'SIGTERM came while a request was in flight');
  assert.equal(stopped, false);

  await direct('/release');
  const answer = await slow;
  assert.deepEqual(answer, { status: 200, body: 'released' });
  const report = await stopping;
  assert.equal(readFileSync(sigtermFile, 'utf8'), 'held=0', 'the app had a request unanswered when SIGTERM came');
  assert.equal(report.stop?.killed, false);
  assert.equal(report.drain?.cancelled, 0);
  assert.equal(
    (await client.state('shop')).instances.some((i) => i.spec.id === id),
    false,
  );
});
