// A drain with HAProxy ends on evidence (0 current and queued sessions) or on drainTimeoutMs, never
// because the runtime API did not answer: against a real haproxy, with its socket taken away or
// replaced by a fake one (skipped without haproxy).
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { freePort, waitFor } from '@cutover/service-kit/testing';
import { requireHaproxy } from '../../../src/agent/haproxy/haproxy-binary.ts';
import { HaproxyDataPlane } from '../../../src/agent/haproxy/haproxy-data-plane.ts';
import type { RouteSpec } from '../../../src/agent/proxy/proxy-types.ts';
import { haproxyMissing } from '../../helpers/haproxy-missing.ts';

/** An app whose /slow requests are held until release(). */
async function startSlowApp(): Promise<{ port: number; server: http.Server; arrived: Promise<void>; release: () => void }> {
  const gate = Promise.withResolvers<void>();
  const arrived = Promise.withResolvers<void>();
  const server = http.createServer((req, res) => {
    if (req.url !== '/slow') return void res.end('fast');
    arrived.resolve();
    void gate.promise.then(() => res.end('slow'));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server, arrived: arrived.promise, release: gate.resolve };
}

/** Resolves with the status, or with the error when the connection was cut. */
function get(port: number, path: string): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', resolve);
    });
    req.on('error', resolve);
    req.end();
  });
}

const route = (drainTimeoutMs: number): RouteSpec => ({
  service: 'web',
  hosts: [],
  pathPrefix: '/',
  stripPrefix: false,
  drainTimeoutMs,
  websocketGraceMs: 0,
});

/** Captures what the data plane writes to the agent log (its stderr) until stop(). */
function captureAgentLog(): { text: () => string; stop: () => void } {
  const original = process.stderr.write.bind(process.stderr);
  let log = '';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    log += String(chunk);
    return original(chunk, ...(rest as []));
  }) as typeof process.stderr.write;
  return {
    text: () => log,
    stop: () => {
      process.stderr.write = original;
    },
  };
}

describe('HAProxy drain', { skip: haproxyMissing() }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A data plane with one slow app routed as target `a`, a /slow request held on it. */
  async function planeWithRequestInFlight(drainTimeoutMs: number) {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-haproxy-drain-'));
    dirs.push(dir);
    const app = await startSlowApp();
    cleanups.push(() => {
      app.release();
      app.server.closeAllConnections();
      app.server.close();
    });
    const plane = new HaproxyDataPlane({
      binary: requireHaproxy().path,
      dir: join(dir, 'haproxy'),
      httpPort: await freePort(),
      listenHost: '127.0.0.1',
    });
    const { httpPort } = await plane.listen();
    cleanups.push(() => plane.close());
    await plane.setRoute(route(drainTimeoutMs));
    plane.addTarget('web', { id: 'a', release: 'v1', host: '127.0.0.1', port: app.port });
    await plane.applied();
    const slow = get(httpPort, '/slow');
    await app.arrived;
    const socketPath = join(dir, 'haproxy', 'runtime.sock');
    return { plane, app, slow, socketPath };
  }

  test('drained: the drain ends once HAProxy reports no session, not before', async () => {
    const { plane, app, slow } = await planeWithRequestInFlight(60_000);
    const drain = plane.removeTarget('web', 'a');
    let ended = false;
    void drain.then(() => {
      ended = true;
    });
    await plane.applied();
    // The status refresh (every second) sees the held request: the drain has polled many times by then.
    await waitFor('the request in flight in the status', () => (plane.targets('web')[0]?.inFlight === 1 ? true : undefined));
    assert.equal(ended, false, 'the drain waits while HAProxy has a session on the server');
    app.release();
    assert.equal(await slow, 200);
    const report = await drain;
    assert.equal(report.outcome, 'drained');
    assert.equal(report.cancelled, 0);
    assert.equal(report.error, undefined);
  });

  test('drained after a reload: the session the replaced worker still has is waited for', async () => {
    const { plane, app, slow } = await planeWithRequestInFlight(60_000);
    await waitFor('the request in flight in the status', () => (plane.targets('web')[0]?.inFlight === 1 ? true : undefined));
    const worker = await plane.workerPid();
    const drain = plane.removeTarget('web', 'a');
    let ended = false;
    void drain.then(() => {
      ended = true;
    });
    await plane.applied();
    // A new route reloads HAProxy: the new worker has no session on the server, the old one keeps the request.
    await plane.setRoute({ ...route(60_000), service: 'other', pathPrefix: '/other' });
    assert.notEqual(await plane.workerPid(), worker, 'reloaded');
    await waitFor('the new worker reporting no session', () => (plane.targets('web')[0]?.inFlight === 0 ? true : undefined));
    assert.equal(ended, false, 'the drain waits for the old worker');
    app.release();
    assert.equal(await slow, 200);
    const report = await drain;
    assert.equal(report.outcome, 'drained');
    assert.equal(report.cancelled, 0);
  });

  test('timed out: what is left at drainTimeoutMs is cut and counted', async () => {
    const { plane, slow } = await planeWithRequestInFlight(800);
    const report = await plane.removeTarget('web', 'a');
    assert.equal(report.outcome, 'timed-out');
    assert.equal(report.cancelled, 1);
    assert.ok(report.drainedMs >= 800, `ended at ${report.drainedMs} ms, before drainTimeoutMs`);
    const status = await slow;
    assert.ok(status instanceof Error || status >= 500, `the cut request ended with ${status}`);
  });

  test('unreachable: with the runtime socket gone the drain waits for drainTimeoutMs, and says so', async () => {
    const drainTimeoutMs = 5000;
    const { plane, app, slow, socketPath } = await planeWithRequestInFlight(drainTimeoutMs);
    const log = captureAgentLog();
    cleanups.push(log.stop);
    const drain = plane.removeTarget('web', 'a');
    await plane.applied(); // HAProxy has `state drain`
    await waitFor('HAProxy reporting the request in flight', () => (plane.targets('web')[0]?.inFlight === 1 ? true : undefined));
    // HAProxy keeps listening on the unlinked socket, but nothing can connect to it any more.
    renameSync(socketPath, `${socketPath}.away`);
    cleanups.push(() => renameSync(`${socketPath}.away`, socketPath));
    await waitFor('the agent log saying HAProxy does not answer', () => (/has no answer from HAProxy/.test(log.text()) ? true : undefined));
    // The request in flight finishes now: without an answer from HAProxy that is not known.
    app.release();
    assert.equal(await slow, 200);
    const report = await drain;
    assert.equal(report.outcome, 'unreachable');
    assert.ok(report.drainedMs >= drainTimeoutMs, `ended at ${report.drainedMs} ms, before drainTimeoutMs`);
    assert.match(report.error ?? '', /runtime API .* did not answer/);
    assert.equal(report.cancelled, 0);
    assert.match(log.text(), /CUT_ERR_AGENT_HAPROXY_RUNTIME: drain of svc_web\/\S+ \(a\) has no answer from HAProxy for \d+ ms/);
    assert.match(log.text(), /CUT_ERR_AGENT_HAPROXY_RUNTIME: drain of .* ended by drainTimeoutMs without an answer/);
    assert.notEqual(plane.runtimeUnreachableSince, null);
  });

  test('a fake runtime socket that errs or hangs is no evidence either', async () => {
    const drainTimeoutMs = 1500;
    const { plane, app, slow, socketPath } = await planeWithRequestInFlight(drainTimeoutMs);
    app.release();
    assert.equal(await slow, 200); // nothing in flight any more, but HAProxy cannot say so
    renameSync(socketPath, `${socketPath}.away`);
    let connections = 0;
    const hung = new Set<import('node:net').Socket>();
    const fake: Server = createServer((socket) => {
      connections++;
      hung.add(socket);
      socket.on('error', () => undefined);
      // Odd connections: an error answer without the stat header; even ones: no answer at all.
      if (connections % 2 === 1) socket.end('Unknown command, please enter "help"\n');
    });
    await new Promise<void>((resolve) => fake.listen(socketPath, resolve));
    cleanups.push(async () => {
      await new Promise<void>((resolve) => {
        fake.close(() => resolve());
        for (const socket of hung) socket.destroy();
      });
      renameSync(`${socketPath}.away`, socketPath);
    });
    const report = await plane.removeTarget('web', 'a');
    assert.equal(report.outcome, 'unreachable');
    assert.ok(report.drainedMs >= drainTimeoutMs, `ended at ${report.drainedMs} ms, before drainTimeoutMs`);
    assert.ok(connections >= 2, `the drain kept asking (${connections} connections)`);
    assert.deepEqual(plane.targets('web'), [], 'the target is gone once the timeout ended the drain');
  });
});
