import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent } from '../../src/agent/agent.ts';

const PORT_RANGE = await reservePortRange();

test('the admin API validates every body with its schema and refuses unknown fields', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-admin-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const agent = new Agent({
    dataDir,
    httpPort: 0,
    listenHost: '127.0.0.1',
    adminPort: 0,
    portRange: PORT_RANGE,
    logMaxBytes: 1024 * 1024,
    logKeepFiles: 1,
  });
  const { admin } = await agent.start();
  t.after(() => agent.stop({ stopInstances: true }));
  const token = readFileSync(join(dataDir, 'agent.token'), 'utf8').trim();
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
  };
  const route = { hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 1000, websocketGraceMs: 100 };
  const spec = {
    id: 'v1.web.d1.1',
    service: 'shop',
    release: 'v1',
    processType: 'web',
    command: 'node server.js',
    cwd: dataDir,
    env: {},
    portEnv: 'PORT',
    restart: { maxRestarts: 1, backoffMs: 100, maxBackoffMs: 1000, windowMs: 60_000 },
    stopTimeoutMs: 1000,
  };
  const refused: [string, string, unknown, RegExp][] = [
    ['PUT', '/v1/routes/shop', { ...route, drainTimeout: 5 }, /drainTimeout/],
    ['PUT', '/v1/routes/shop', { ...route, drainTimeoutMs: '5s' }, /drainTimeoutMs/],
    ['PUT', '/v1/routes/shop', { ...route, hosts: undefined }, /hosts/],
    ['PUT', '/v1/routes/shop/weights', { weights: { v1: '100' } }, /weights\.v1/],
    ['PUT', '/v1/routes/shop/weights', { weights: null, extra: 1 }, /extra/],
    ['POST', '/v1/instances', { spec, route: true, routed: true }, /routed/],
    ['POST', '/v1/instances', { spec: { ...spec, shell: '/bin/bash' }, route: true }, /spec.*shell/],
    ['POST', '/v1/instances', { spec: { ...spec, restart: { ...spec.restart, tries: 3 } }, route: true }, /spec\.restart.*tries/],
    ['POST', '/v1/instances', { spec: { ...spec, id: '../x' }, route: true }, /spec\.id/],
    ['POST', '/v1/instances/x/stop', { timeoutMs: 10, force: true }, /force/],
    ['POST', '/v1/shutdown', { stopInstances: 'yes' }, /stopInstances/],
  ];
  for (const [method, path, body, field] of refused) {
    const reply = await call(method, path, body);
    assert.equal(reply.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    assert.equal(reply.body.error?.code, 'CUT_ERR_AGENT_REQUEST_INVALID');
    assert.match(reply.body.error?.message ?? '', field);
  }
  assert.deepEqual(agent.proxy.routes(), [], 'nothing refused took effect');
  assert.equal((await call('PUT', '/v1/routes/shop', route)).status, 200);
  assert.equal((await call('PUT', '/v1/routes/shop/weights', { weights: null })).status, 200);
});
