import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { ask, isPending, json, route, startProxy, startUpstream, waitFor, within } from './proxy-test-kit.ts';

const TEST = { timeout: 30_000 };

describe('ProxyServer removeTarget (draining)', () => {
  test('waits for a 1 s in-flight request, sends new requests elsewhere, then resolves', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const old = await startUpstream(t, 'old');
    const next = await startUpstream(t, 'next');
    proxy.setRoute(route('svc', { drainTimeoutMs: 10_000 }));
    proxy.addTarget('svc', { id: 'old', release: 'r1', host: '127.0.0.1', port: old.port });
    const slow = ask({ port, path: '/slow?ms=1000' });
    await waitFor(() => proxy.targets('svc')[0].inFlight === 1, 'the slow request in flight');
    proxy.addTarget('svc', { id: 'next', release: 'r2', host: '127.0.0.1', port: next.port });
    const startedMs = Date.now();
    const drained = proxy.removeTarget('svc', 'old');
    assert.equal(proxy.targets('svc').find((t) => t.id === 'old')?.draining, true, 'out of selection synchronously');
    for (let i = 0; i < 5; i++) assert.equal(json(await ask({ port })).id, 'next');
    assert.equal(await isPending(drained), true, 'the drain waits for the slow request');
    const report = await within(drained, 5000, 'drain');
    const slowReply = await slow;
    assert.equal(slowReply.status, 200);
    assert.equal(json(slowReply).id, 'old');
    assert.ok(Date.now() - startedMs >= 500, 'resolved only after the request finished');
    assert.equal(report.targetId, 'old');
    assert.equal(report.inFlightAtStart, 1);
    assert.equal(report.cancelled, 0);
    assert.equal(report.outcome, 'drained');
    assert.ok(report.drainedMs >= 500 && report.drainedMs < 5000, `drainedMs ${report.drainedMs}`);
    assert.deepEqual(
      proxy.targets('svc').map((t) => t.id),
      ['next'],
      'a drained target is forgotten',
    );
    await waitFor(() => old.open === 0, 'old upstream sockets closed', 3000);
  });

  test('a drain with nothing in flight resolves at once and destroys idle upstream sockets', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'u');
    proxy.setRoute(route('svc'));
    proxy.addTarget('svc', { id: 'u', release: 'r1', host: '127.0.0.1', port: upstream.port });
    await ask({ port });
    assert.equal(upstream.open, 1, 'the proxy keeps its upstream socket alive');
    const report = await within(proxy.removeTarget('svc', 'u'), 1000, 'drain');
    assert.equal(report.inFlightAtStart, 0);
    await waitFor(() => upstream.open === 0, 'idle upstream socket closed', 3000);
  });

  test('requests outliving drainTimeoutMs are answered 504 and counted as proxy errors', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'u');
    proxy.setRoute(route('svc', { drainTimeoutMs: 300 }));
    proxy.addTarget('svc', { id: 'u', release: 'r1', host: '127.0.0.1', port: upstream.port });
    const stuck = ask({ port, path: '/slow?ms=10000' });
    await waitFor(() => proxy.targets('svc')[0].inFlight === 1, 'request in flight');
    const report = await within(proxy.removeTarget('svc', 'u'), 5000, 'drain');
    assert.equal(report.cancelled, 1);
    assert.equal(report.outcome, 'timed-out');
    assert.ok(report.drainedMs >= 250, `drainedMs ${report.drainedMs}`);
    const reply = await stuck;
    assert.equal(reply.status, 504);
    assert.match(reply.body, /drain timeout/);
    const counters = proxy.counters('svc').r1;
    assert.equal(counters.proxyErrors, 1);
    assert.equal(counters.byStatusClass['5xx'], 1);
  });

  test('a streaming response cut by the drain timeout is recorded as 504', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'u', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first chunk');
    });
    proxy.setRoute(route('svc', { drainTimeoutMs: 200 }));
    proxy.addTarget('svc', { id: 'u', release: 'r1', host: '127.0.0.1', port: upstream.port });
    const outcome = new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/stream', agent: false }, (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve('ended'));
          res.on('error', () => resolve('cut'));
          res.on('aborted', () => resolve('cut'));
        })
        .on('error', () => resolve('cut'));
    });
    await waitFor(() => proxy.targets('svc')[0].inFlight === 1, 'stream in flight');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const report = await within(proxy.removeTarget('svc', 'u'), 5000, 'drain');
    assert.equal(report.cancelled, 1);
    assert.equal(await within(outcome, 5000, 'client outcome'), 'cut');
    assert.equal(proxy.counters('svc').r1.proxyErrors, 1);
    assert.deepEqual(
      proxy.samples('svc', 'r1').map((s) => s.status),
      [504],
    );
  });

  test('close() drains in-flight requests before it resolves', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const keepAlive = new http.Agent({ keepAlive: true });
    const upstream = await startUpstream(t, 'u');
    try {
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 'u', release: 'r1', host: '127.0.0.1', port: upstream.port });
      const slow = ask({ port, path: '/slow?ms=300', agent: keepAlive });
      await waitFor(() => proxy.targets('svc')[0].inFlight === 1, 'request in flight');
      // Well under the 5 s keep-alive timeout: close() must not wait for the client's idle connection.
      await within(proxy.close(), 3000, 'close');
      assert.equal((await slow).status, 200);
      await assert.rejects(ask({ port, timeoutMs: 2000 }), /ECONNREFUSED/);
    } finally {
      keepAlive.destroy();
    }
  });
});
