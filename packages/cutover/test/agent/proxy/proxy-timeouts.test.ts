import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, test } from 'node:test';
import { ask, route, startProxy, startUpstream, waitFor, within } from './proxy-test-kit.ts';

const TEST = { timeout: 30_000 };

/**
 * A port whose accept queue is full and never served (the listener's thread is blocked without
 * spinning): a connection to it stays in SYN_SENT, which is what an unreachable instance looks like.
 */
async function startUnacceptingPort(t: { after(fn: () => unknown): void }): Promise<number> {
  const script = `
    const server = require('node:net').createServer().listen(0, '127.0.0.1', 1, () => {
      process.stdout.write(server.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  // The accept queue (backlog 1: two connections) fills with these; later connections wait in SYN_SENT.
  const fillers = [0, 1, 2, 3].map(() => net.connect(port, '127.0.0.1').on('error', () => {}));
  t.after(() => {
    for (const filler of fillers) filler.destroy();
  });
  await Promise.all([once(fillers[0], 'connect'), once(fillers[1], 'connect')]);
  return port;
}

describe('proxy upstream timeouts', () => {
  test('an instance that sends no response head is answered 504 after responseTimeoutMs, and counted', TEST, async (t) => {
    const app = await startUpstream(t, 'hangs', () => {});
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { responseTimeoutMs: 300 }));
    proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: app.port });
    const startedMs = Date.now();
    const reply = await ask({ port, path: '/x' });
    const tookMs = Date.now() - startedMs;
    assert.equal(reply.status, 504);
    assert.match(reply.body, /sent no response head within 300 ms/);
    assert.ok(tookMs >= 290 && tookMs < 5000, `answered after ${tookMs} ms`);
    const counters = proxy.counters('shop').v1;
    assert.equal(counters.timeouts, 1);
    assert.equal(counters.proxyErrors, 1);
    assert.equal(counters.byStatusClass['5xx'], 1);
  });

  test('a response body that stalls longer than idleTimeoutMs is cut and recorded as a 504', TEST, async (t) => {
    const app = await startUpstream(t, 'stalls', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk');
    });
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { idleTimeoutMs: 300 }));
    proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: app.port });
    const cut = await new Promise<string>((resolve) => {
      http.get({ port, path: '/stream', agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', () => {});
        res.on('aborted', () => resolve('aborted'));
        res.on('error', () => resolve('aborted'));
        res.on('end', () => resolve('ended'));
      });
    });
    assert.equal(cut, 'aborted', 'the client sees the answer cut, not a complete one');
    await waitFor(() => proxy.counters('shop').v1?.timeouts === 1, 'the timeout counted');
    assert.equal(proxy.counters('shop').v1.byStatusClass['5xx'], 1);
  });

  test('an instance that does not accept the connection is answered 504 after connectTimeoutMs and ejected', TEST, async (t) => {
    const deaf = await startUnacceptingPort(t);
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { connectTimeoutMs: 300 }));
    proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: deaf });
    const reply = await ask({ port, path: '/', method: 'POST', body: 'x' });
    assert.equal(reply.status, 504);
    assert.match(reply.body, /did not accept a connection within 300 ms/);
    assert.equal(proxy.counters('shop').v1.timeouts, 1);
    assert.notEqual(proxy.targets('shop')[0].ejectedUntil, null, 'a target that cannot be reached leaves selection for a while');
  });

  test('a slow answer within the timeouts is served, and the pooled socket is reused afterwards', TEST, async (t) => {
    const app = await startUpstream(t, 'slow');
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop', { responseTimeoutMs: 2000, idleTimeoutMs: 2000 }));
    proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: app.port });
    assert.equal((await ask({ port, path: '/slow?ms=300' })).status, 200);
    assert.equal((await ask({ port, path: '/slow?ms=300' })).status, 200);
    assert.equal(app.connections, 1);
    assert.equal(proxy.counters('shop').v1.timeouts, 0);
  });

  test('requests still in flight are in the samples, with their age as latency', TEST, async (t) => {
    const app = await startUpstream(t, 'hangs', () => {});
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('shop'));
    proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: app.port });
    const pending = ask({ port, path: '/hang', timeoutMs: 20_000 }).catch(() => null);
    await waitFor(() => app.requests.length === 1, 'the request reached the app');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let it age: the sample's latency is its age
    const samples = proxy.samples('shop', 'v1');
    assert.equal(samples.length, 1);
    assert.equal(samples[0].inFlight, true);
    assert.equal(samples[0].status, 0);
    assert.ok(samples[0].latencyMs >= 190, `age ${samples[0].latencyMs}`);
    await app.close();
    await within(pending, 10_000, 'the hung request ends once the app is gone');
  });
});
