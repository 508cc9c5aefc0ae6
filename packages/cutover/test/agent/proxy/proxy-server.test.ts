import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ProxyServer } from '../../../src/agent/proxy/proxy-server.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';
import { ask, json, route, startProxy, startUpstream, type Upstream, waitFor } from './proxy-test-kit.ts';

const TEST = { timeout: 30_000 };

function hasCode(code: string): (error: unknown) => boolean {
  return (error) => isCutoverError(error) && error.code === code;
}

describe('ProxyServer forwarding', () => {
  let proxy: ProxyServer;
  let port: number;
  const upstreams: Upstream[] = [];

  before(async () => {
    ({ proxy, port } = await startProxy(null));
    for (const id of ['web-1', 'api-1', 'admin-1', 'v2-1']) upstreams.push(await startUpstream(null, id));
    proxy.setRoute(route('web'));
    proxy.setRoute(route('api', { pathPrefix: '/api', stripPrefix: true }));
    proxy.setRoute(route('admin', { hosts: ['admin.example.com'] }));
    proxy.setRoute(route('tenants', { hosts: ['*.tenants.test'], pathPrefix: '/v2' }));
    proxy.addTarget('web', { id: 'web-1', release: 'r1', host: '127.0.0.1', port: upstreams[0].port });
    proxy.addTarget('api', { id: 'api-1', release: 'r1', host: '127.0.0.1', port: upstreams[1].port });
    proxy.addTarget('admin', { id: 'admin-1', release: 'r1', host: '127.0.0.1', port: upstreams[2].port });
    proxy.addTarget('tenants', { id: 'v2-1', release: 'r1', host: '127.0.0.1', port: upstreams[3].port });
  });

  after(async () => {
    await proxy?.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  test('forwards method, path, body and headers; adds X-Forwarded-*; strips hop-by-hop headers', TEST, async () => {
    const reply = await ask({
      port,
      method: 'POST',
      path: '/things?x=1',
      body: 'hello body',
      headers: {
        Host: 'shop.test',
        'X-Forwarded-For': '203.0.113.9',
        Connection: 'close, X-Private',
        'X-Private': 'secret',
        'X-Custom': 'kept',
      },
    });
    assert.equal(reply.status, 200);
    const seen = json<{ id: string; method: string; url: string; body: string; headers: Record<string, string> }>(reply);
    assert.equal(seen.id, 'web-1');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/things?x=1');
    assert.equal(seen.body, 'hello body');
    assert.equal(seen.headers.host, 'shop.test');
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'shop.test');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['x-private'], undefined);
    assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(reply.headers['keep-alive'], undefined);
  });

  test('a chunked upload arrives whole', TEST, async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/upload', agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write('part1-');
      setTimeout(() => req.end('part2'), 20);
    });
    assert.equal(JSON.parse(body).body, 'part1-part2');
  });

  test('routes by host and by path prefix, stripping the prefix when asked', TEST, async () => {
    const api = json<{ id: string; url: string }>(await ask({ port, path: '/api/users?page=2' }));
    assert.deepEqual([api.id, api.url], ['api-1', '/users?page=2']);
    const apiRoot = json<{ id: string; url: string }>(await ask({ port, path: '/api' }));
    assert.deepEqual([apiRoot.id, apiRoot.url], ['api-1', '/']);
    assert.equal(json(await ask({ port, path: '/apiary' })).id, 'web-1');
    assert.equal(
      json(await ask({ port, path: '/api/x', headers: { Host: 'ADMIN.example.com:8080' } })).id,
      'admin-1',
      'an exact host beats any-host routes',
    );
    assert.equal(json(await ask({ port, path: '/v2/x', headers: { Host: 'acme.tenants.test' } })).id, 'v2-1');
    assert.equal(json(await ask({ port, path: '/v1', headers: { Host: 'acme.tenants.test' } })).id, 'web-1');
  });

  test('keeps client and upstream connections alive', TEST, async () => {
    const before = upstreams[0].connections;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const replies = [];
      for (let i = 0; i < 20; i++) replies.push(await ask({ port, path: `/ka/${i}`, agent }));
      assert.ok(replies.every((r) => r.status === 200));
      assert.equal(replies.filter((r) => r.reused).length, 19, 'the client reused its connection');
      assert.ok(upstreams[0].connections - before <= 1, `upstream connections opened: ${upstreams[0].connections - before}`);
    } finally {
      agent.destroy();
    }
  });

  test('bodyless and body-carrying requests take turns on one client connection', TEST, async () => {
    // Bodyless requests skip Node's drain of the request stream: the next request on the socket must not mind.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const get = await ask({ port, path: `/turn/${i}`, agent });
        const post = await ask({ port, path: `/turn/${i}`, method: 'POST', body: `body ${i}`, agent });
        const del = await ask({ port, path: `/turn/${i}`, method: 'DELETE', agent });
        assert.equal(json(get).method, 'GET');
        assert.equal(json(post).body, `body ${i}`);
        assert.equal(json(del).method, 'DELETE');
        if (i > 0) assert.ok(get.reused, 'one connection throughout');
        assert.ok(post.reused && del.reused, 'one connection throughout');
      }
    } finally {
      agent.destroy();
    }
  });

  test('closes idle upstream sockets before the app would', TEST, async (t) => {
    const app = await startUpstream(t, 'short-keepalive');
    app.server.keepAliveTimeout = 2000;
    let closedByProxy = false;
    app.server.on('connection', (socket) => socket.on('end', () => (closedByProxy = true)));
    proxy.setRoute(route('short', { pathPrefix: '/short' }));
    proxy.addTarget('short', { id: 's', release: 'r1', host: '127.0.0.1', port: app.port });
    try {
      assert.equal((await ask({ port, path: '/short' })).status, 200);
      await waitFor(() => app.open === 0, 'the idle upstream socket closed', 5000);
      assert.ok(closedByProxy, 'the proxy, not the app (after 2 s), closed the idle socket');
    } finally {
      await proxy.removeRoute('short');
    }
  });

  test('counts requests per release', TEST, async () => {
    await ask({ port, path: '/api/count' });
    const counters = proxy.counters('api');
    assert.ok(counters.r1.requests >= 1);
    assert.equal(counters.r1.byStatusClass['2xx'], counters.r1.requests);
    assert.equal(counters.r1.latencyBucketsMs.at(-1)?.count, counters.r1.requests);
    const samples = proxy.samples('api', 'r1', Date.now() - 60_000);
    assert.equal(samples.length, counters.r1.requests);
    assert.equal(samples.at(-1)?.status, 200);
    assert.deepEqual(proxy.samples('api', 'nope'), []);
  });
});

describe('ProxyServer answers of its own', () => {
  test('404 names the host and path when no service matches', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('only', { hosts: ['only.test'] }));
    const reply = await ask({ port, path: '/some/where?q=1', headers: { Host: 'other.test' } });
    assert.equal(reply.status, 404);
    assert.match(reply.body, /no service matches host "other.test" and path "\/some\/where"/);
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
  });

  test('503 with Retry-After: 1 when the route has no healthy target', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'u');
    proxy.setRoute(route('svc'));
    let reply = await ask({ port });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '1');
    assert.match(reply.body, /service svc has no healthy target/);
    proxy.addTarget('svc', { id: 't1', release: 'r1', host: '127.0.0.1', port: upstream.port });
    assert.equal((await ask({ port })).status, 200, 'an added target is used at once');
    proxy.setTargetHealthy('svc', 't1', false);
    reply = await ask({ port });
    assert.equal(reply.status, 503);
    assert.equal(proxy.targets('svc')[0].healthy, false);
    proxy.setTargetHealthy('svc', 't1', true);
    assert.equal((await ask({ port })).status, 200);
  });

  test('removeRoute stops matching at once and drains its targets', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'u');
    proxy.setRoute(route('svc'));
    proxy.addTarget('svc', { id: 't1', release: 'r1', host: '127.0.0.1', port: upstream.port });
    assert.equal((await ask({ port })).status, 200);
    const removed = proxy.removeRoute('svc');
    assert.equal((await ask({ port })).status, 404);
    await removed;
    assert.throws(() => proxy.targets('svc'), hasCode('CUT_ERR_AGENT_UNKNOWN_SERVICE'));
  });
});

describe('ProxyServer release weights', () => {
  test('splits new requests between releases by weight, then evenly again', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 'a', release: 'v1', host: '127.0.0.1', port: v1.port });
      proxy.addTarget('svc', { id: 'b', release: 'v2', host: '127.0.0.1', port: v2.port });
      proxy.setReleaseWeights('svc', { v1: 80, v2: 20 });
      assert.deepEqual(proxy.releaseWeights('svc'), { v1: 80, v2: 20 });
      for (let i = 0; i < 100; i++) assert.equal((await ask({ port, agent })).status, 200);
      assert.deepEqual([v1.requests.length, v2.requests.length], [80, 20]);
      const counters = proxy.counters('svc');
      assert.deepEqual([counters.v1.requests, counters.v2.requests], [80, 20]);
      proxy.setReleaseWeights('svc', null);
      for (let i = 0; i < 10; i++) await ask({ port, agent });
      assert.deepEqual([v1.requests.length, v2.requests.length], [85, 25]);
      assert.throws(() => proxy.setReleaseWeights('svc', { v1: 101 }), hasCode('CUT_ERR_AGENT_WEIGHTS_INVALID'));
      assert.throws(() => proxy.setReleaseWeights('svc', { v1: 0 }), hasCode('CUT_ERR_AGENT_WEIGHTS_INVALID'));
    } finally {
      agent.destroy();
    }
  });
});

describe('ProxyServer control errors', () => {
  test('unknown service or target, duplicate target, conflicting route', TEST, async () => {
    const proxy = new ProxyServer({ httpPort: 0, listenHost: '127.0.0.1' });
    proxy.setRoute(route('a', { hosts: ['a.test'] }));
    const target = { id: 't', release: 'r', host: '127.0.0.1', port: 1 };
    assert.throws(() => proxy.addTarget('nope', target), hasCode('CUT_ERR_AGENT_UNKNOWN_SERVICE'));
    proxy.addTarget('a', target);
    proxy.addTarget('a', target);
    assert.equal(proxy.targets('a').length, 1, 'adding the same target twice is a no-op');
    assert.throws(() => proxy.addTarget('a', { ...target, port: 2 }), hasCode('CUT_ERR_AGENT_TARGET_EXISTS'));
    assert.throws(() => proxy.setTargetHealthy('a', 'zz', false), hasCode('CUT_ERR_AGENT_UNKNOWN_TARGET'));
    await assert.rejects(proxy.removeTarget('a', 'zz'), hasCode('CUT_ERR_AGENT_UNKNOWN_TARGET'));
    await assert.rejects(proxy.removeTarget('zz', 't'), hasCode('CUT_ERR_AGENT_UNKNOWN_SERVICE'));
    assert.throws(() => proxy.setRoute(route('b', { hosts: ['A.test'] })), hasCode('CUT_ERR_AGENT_ROUTE_INVALID'));
    assert.deepEqual(
      proxy.routes().map((r) => r.service),
      ['a'],
      'a rejected route changes nothing',
    );
    assert.throws(() => proxy.setRoute(route('c', { drainTimeoutMs: -1 })), hasCode('CUT_ERR_AGENT_ROUTE_INVALID'));
    proxy.setRoute(route('a', { hosts: ['a.test'], pathPrefix: '/v2' }));
    assert.equal(proxy.routes()[0].pathPrefix, '/v2', 'setRoute updates an existing route');
    await proxy.close();
  });
});

describe('ProxyServer listeners', () => {
  test('a port in use is a CUT_ERR_AGENT_PORT_IN_USE naming the port', TEST, async (t) => {
    const { port } = await startProxy(t);
    const second = new ProxyServer({ httpPort: port, listenHost: '127.0.0.1' });
    t.after(() => second.close());
    await assert.rejects(second.listen(), (error: unknown) => {
      assert.ok(isCutoverError(error));
      assert.equal(error.code, 'CUT_ERR_AGENT_PORT_IN_USE');
      assert.match(error.message, new RegExp(`port ${port}`));
      assert.match(error.hint ?? '', /agent.httpPort/);
      return true;
    });
  });

  test('unreadable or missing TLS files are CUT_ERR_AGENT_TLS', TEST, async (t) => {
    const missing = new ProxyServer({
      httpPort: 0,
      httpsPort: 0,
      listenHost: '127.0.0.1',
      tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' },
    });
    t.after(() => missing.close());
    await assert.rejects(
      missing.listen(),
      (error: unknown) => hasCode('CUT_ERR_AGENT_TLS')(error) && /\/nonexistent\/cert.pem/.test((error as Error).message),
    );
    assert.throws(() => new ProxyServer({ httpPort: 0, httpsPort: 0 }), hasCode('CUT_ERR_AGENT_TLS'));
  });

  test('terminates TLS from cert and key files and forwards with X-Forwarded-Proto https', TEST, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-proxy-tls-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
    const upstream = await startUpstream(t, 'u');
    const { proxy, port, httpsPort } = await startProxy(t, { httpsPort: 0, tls: { certFile, keyFile } });
    try {
      assert.ok(httpsPort && httpsPort !== port);
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 't', release: 'r', host: '127.0.0.1', port: upstream.port });
      const reply = await ask({ port: httpsPort, path: '/secure', tls: { ca: await readFile(certFile) } });
      assert.equal(reply.status, 200);
      assert.equal(json<{ headers: Record<string, string> }>(reply).headers['x-forwarded-proto'], 'https');
      assert.equal(json<{ headers: Record<string, string> }>(await ask({ port })).headers['x-forwarded-proto'], 'http');
      const garbage = join(dir, 'garbage.pem');
      await promisify(execFile)('sh', ['-c', `echo nope > ${garbage}`]);
      const broken = new ProxyServer({ httpPort: 0, httpsPort: 0, listenHost: '127.0.0.1', tls: { certFile: garbage, keyFile } });
      t.after(() => broken.close());
      await assert.rejects(broken.listen(), hasCode('CUT_ERR_AGENT_TLS'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
