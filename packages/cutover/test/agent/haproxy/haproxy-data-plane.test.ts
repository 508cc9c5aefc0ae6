// The HAProxy driver against a real haproxy and real HTTP servers on loopback (skipped without haproxy).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireHaproxy } from '../../../src/agent/haproxy/haproxy-binary.ts';
import { HaproxyDataPlane } from '../../../src/agent/haproxy/haproxy-data-plane.ts';
import type { RouteSpec } from '../../../src/agent/proxy/proxy-types.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';
import { haproxyMissing } from '../../helpers/haproxy-missing.ts';

interface App {
  port: number;
  server: http.Server;
  /** Requests to /slow wait until this is called. */
  release: () => void;
  slowArrived: Promise<void>;
}

async function startApp(name: string): Promise<App> {
  let releaseSlow!: () => void;
  const slowGate = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });
  let slowArrived!: () => void;
  const arrived = new Promise<void>((resolve) => {
    slowArrived = resolve;
  });
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      slowArrived();
      void slowGate.then(() => res.end(`${name} slow`));
      return;
    }
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, release: releaseSlow, slowArrived: arrived };
}

function get(port: number, path: string, host = 'app.test'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const route = (service: string, extra: Partial<RouteSpec> = {}): RouteSpec => ({
  service,
  hosts: [],
  pathPrefix: '/',
  stripPrefix: false,
  drainTimeoutMs: 10_000,
  websocketGraceMs: 0,
  ...extra,
});

describe('HaproxyDataPlane', { skip: haproxyMissing() }, () => {
  let dir: string;
  let plane: HaproxyDataPlane;
  let port: number;
  const apps: App[] = [];
  /** Requests each app answered through the proxy on counted paths. */
  const served = { a: 0, b: 0 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-haproxy-'));
    for (const name of ['a', 'b', 'c']) apps.push(await startApp(name));
    plane = new HaproxyDataPlane({ binary: requireHaproxy().path, dir: join(dir, 'haproxy'), httpPort: 0, listenHost: '127.0.0.1' });
    port = (await plane.listen()).httpPort;
  });

  after(async () => {
    await plane?.close();
    for (const app of apps) {
      app.release();
      app.server.closeAllConnections();
      app.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('private files; no route answers 404, a route without target 503', async () => {
    assert.equal(statSync(join(dir, 'haproxy')).mode & 0o777, 0o700);
    assert.equal(statSync(plane.configFile).mode & 0o777, 0o600);
    assert.equal((await get(port, '/')).status, 404);
    await plane.setRoute(route('web', { metricsPaths: { exclude: ['/up'] } }));
    const none = await get(port, '/');
    assert.equal(none.status, 503);
    assert.match(none.body, /service web has no healthy target/);
  });

  test('targets join, split by release weight and leave without a reload', async () => {
    const worker = await plane.workerPid();
    plane.addTarget('web', { id: 'a', release: 'v1', host: '127.0.0.1', port: apps[0].port });
    plane.addTarget('web', { id: 'b', release: 'v2', host: '127.0.0.1', port: apps[1].port });
    plane.setReleaseWeights('web', { v1: 75, v2: 25 });
    await plane.applied();
    const seen: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const { body } = await get(port, '/x');
      seen[body] = (seen[body] ?? 0) + 1;
    }
    // Weights 3 and 1 (75/25 reduced): HAProxy's smooth round robin gives the exact split over whole cycles.
    assert.deepEqual(seen, { 'a /x': 30, 'b /x': 10 });
    served.a += 30;
    served.b += 10;
    plane.setReleaseWeights('web', null);
    plane.setTargetHealthy('web', 'b', false);
    await plane.applied();
    for (let i = 0; i < 4; i++) assert.equal((await get(port, '/y')).body, 'a /y', 'an unhealthy target gets no request');
    served.a += 4;
    plane.setTargetHealthy('web', 'b', true);
    await plane.applied();
    assert.equal(await plane.workerPid(), worker, 'no reload');
  });

  test('a drain waits for the request in flight, then the target is gone', async () => {
    plane.setReleaseWeights('web', { v1: 100 });
    await plane.applied();
    const slow = get(port, '/slow');
    await apps[0].slowArrived;
    const drained = plane.removeTarget('web', 'a');
    const requestsDone = plane.requestsDrained('web', 'a');
    await plane.applied();
    let done = false;
    void requestsDone.then(() => {
      done = true;
    });
    // Traffic goes on to b meanwhile (v1 has no eligible target left: any eligible one serves).
    assert.equal((await get(port, '/z')).body, 'b /z');
    served.b++;
    assert.equal(done, false, 'the drain waits while the request is in flight');
    apps[0].release();
    assert.deepEqual(await slow, { status: 200, body: 'a slow' });
    served.a++;
    const report = await drained;
    // (inFlightAtStart is read once HAProxy has the drain: the request may have ended by then.)
    assert.equal(report.cancelled, 0);
    assert.equal(report.outcome, 'drained');
    await requestsDone;
    assert.deepEqual(
      plane.targets('web').map((t) => t.id),
      ['b'],
    );
  });

  test('counters per release from the request log, with the path filter', async () => {
    await get(port, '/up');
    const expected = (release: string) => plane.counters('web')[release]?.requests ?? 0;
    // HAProxy logs a request once it is done: wait for the log line of the last request.
    const before = expected('v2');
    await get(port, '/counted');
    while (expected('v2') === before) await new Promise((resolve) => setImmediate(resolve));
    served.b++;
    const counters = plane.counters('web');
    // /up is left out by the route's metricsPaths.
    assert.equal(counters.v1.requests, served.a);
    assert.equal(counters.v2.requests, served.b);
    assert.equal(counters.v2.byStatusClass['2xx'], served.b);
    assert.equal(counters.v2.byStatusClass['5xx'], 0);
    assert.equal(plane.samples('web', 'v2').length, served.b);
  });

  test('a new route reloads HAProxy with the serving targets in its config', async () => {
    const worker = await plane.workerPid();
    await plane.setRoute(route('api', { hosts: ['api.test'], pathPrefix: '/api', stripPrefix: true }));
    plane.addTarget('api', { id: 'c', release: 'v1', host: '127.0.0.1', port: apps[2].port });
    await plane.applied();
    assert.notEqual(await plane.workerPid(), worker);
    assert.equal((await get(port, '/api/v?q=1', 'api.test')).body, 'c /v?q=1');
    assert.equal((await get(port, '/api', 'api.test')).body, 'c /');
    assert.equal((await get(port, '/api/v', 'other.test')).body, 'b /api/v');
  });

  test('what HAProxy cannot honour is refused', () => {
    assert.throws(
      () => plane.setRoute(route('sticky', { stickyCookie: 'cutover-release' })),
      (error) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_DATA_PLANE_UNSUPPORTED',
    );
    assert.throws(
      () => plane.setRoute(route('clash', { hosts: ['api.test'], pathPrefix: '/api/' })),
      (error) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_ROUTE_INVALID',
    );
  });
});
