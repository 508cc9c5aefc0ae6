import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TargetEjectedEvent } from '../../../src/agent/proxy/proxy-server.ts';
import { ask, json, route, startProxy, startUpstream, waitFor, within } from './proxy-test-kit.ts';

const TEST = { timeout: 30_000 };

/** A separate app process, so "the app crashed mid-request" is a real SIGKILL. `/hang` never answers. */
const APP = `
import http from 'node:http';
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    console.log('request ' + req.method + ' ' + req.url);
    if (req.url.startsWith('/hang')) return;
    res.end(JSON.stringify({ id: process.env.APP_ID, method: req.method, url: req.url, body }));
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

interface AppProcess {
  child: ChildProcess;
  port: number;
  lines: string[];
}

let dir = '';
const children: ChildProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-proxy-failover-'));
  await writeFile(join(dir, 'app.mjs'), APP);
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function startApp(id: string): Promise<AppProcess> {
  const child = spawn(process.execPath, [join(dir, 'app.mjs')], {
    env: { ...process.env, APP_ID: id },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const app: AppProcess = { child, port: 0, lines: [] };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      app.lines.push(line);
      if (line.startsWith('listening ')) app.port = Number(line.slice(10));
    }
  });
  await waitFor(() => app.port > 0, `app ${id} listening`, 10_000);
  return app;
}

async function kill(app: AppProcess): Promise<void> {
  const exited = new Promise((resolve) => app.child.once('exit', resolve));
  app.child.kill('SIGKILL');
  await within(exited, 5000, 'app exit');
}

describe('ProxyServer retries and passive ejection', () => {
  test('a dead target costs no client errors: connect failures are retried and eject it', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const dead = await startUpstream(t, 'dead');
    const alive = await startUpstream(t, 'alive');
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 'dead', release: 'r1', host: '127.0.0.1', port: dead.port });
      proxy.addTarget('svc', { id: 'alive', release: 'r1', host: '127.0.0.1', port: alive.port });
      const warm = [await ask({ port }), await ask({ port })];
      assert.deepEqual(
        warm.map((r) => json(r).id),
        ['dead', 'alive'],
        'pooled upstream sockets exist to both',
      );
      const ejected: TargetEjectedEvent[] = [];
      proxy.on('target:ejected', (event) => ejected.push(event));
      await dead.close();
      // Let the proxy see the app's FIN on its pooled socket, as it would for an app that exited.
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The dead target is next in rotation: a POST with a body goes there first and must be replayed intact.
      const first = await ask({ port, method: 'POST', path: '/first', body: 'payload' });
      assert.equal(first.status, 200);
      assert.deepEqual([json(first).id, json(first).body], ['alive', 'payload']);
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          ask({
            port,
            path: `/r/${i}`,
            agent: i % 2 === 0 ? keepAlive : false,
            method: i % 3 === 0 ? 'POST' : 'GET',
            body: i % 3 === 0 ? `b${i}` : undefined,
          }),
        ),
      );
      assert.deepEqual(
        replies.filter((r) => r.status !== 200).map((r) => r.status),
        [],
      );
      assert.equal(ejected.length >= 1, true);
      assert.deepEqual(ejected[0], { service: 'svc', id: 'dead', reason: 'connect ECONNREFUSED' });
      const state = proxy.targets('svc').find((t) => t.id === 'dead');
      assert.ok(state?.ejectedUntil !== null && (state?.ejectedUntil ?? 0) > Date.now(), 'ejected for a while');
      const counters = proxy.counters('svc').r1;
      assert.equal(counters.requests, 63, 'each retried request is counted once');
      assert.equal(counters.byStatusClass['2xx'], 63);
    } finally {
      keepAlive.destroy();
    }
  });

  test('a GET in flight when the app process dies is retried on the other target', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const crashing = await startApp('crashing');
    const other = await startUpstream(t, 'other');
    proxy.setRoute(route('svc'));
    proxy.addTarget('svc', { id: 'crashing', release: 'old', host: '127.0.0.1', port: crashing.port });
    const reply = ask({ port, path: '/hang/get' });
    await waitFor(() => crashing.lines.includes('request GET /hang/get'), 'the app received the GET');
    proxy.addTarget('svc', { id: 'other', release: 'new', host: '127.0.0.1', port: other.port });
    await kill(crashing);
    const answer = await within(reply, 5000, 'retried GET');
    assert.equal(answer.status, 200);
    assert.deepEqual([json(answer).id, json(answer).url], ['other', '/hang/get']);
    const counters = proxy.counters('svc');
    assert.equal(counters.new.requests, 1);
    assert.equal(counters.old, undefined, 'the failed attempt is not counted');
  });

  test('a POST in flight when the app process dies is answered 502 and not replayed', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const crashing = await startApp('crashing');
    const other = await startUpstream(t, 'other');
    proxy.setRoute(route('svc'));
    proxy.addTarget('svc', { id: 'crashing', release: 'old', host: '127.0.0.1', port: crashing.port });
    const reply = ask({ port, method: 'POST', path: '/hang/post', body: 'charge the card' });
    await waitFor(() => crashing.lines.includes('request POST /hang/post'), 'the app received the POST');
    proxy.addTarget('svc', { id: 'other', release: 'new', host: '127.0.0.1', port: other.port });
    await kill(crashing);
    const answer = await within(reply, 5000, 'POST answer');
    assert.equal(answer.status, 502);
    assert.match(answer.body, /target crashing failed/);
    assert.equal(other.requests.length, 0, 'the POST was not sent again');
    assert.equal(proxy.counters('svc').old.proxyErrors, 1);
  });

  test('a pooled socket the app closed is retried on a fresh connection, even with a single target', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    // Answers the first request of each connection and resets the connection on the second one: an
    // app closing an idle keep-alive socket just as the proxy reuses it.
    let connections = 0;
    let posts = 0;
    const app = net.createServer((socket) => {
      connections++;
      let requests = 0;
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        if (!chunk.toString().includes('\r\n\r\n')) return;
        if (chunk.toString().startsWith('POST ')) posts++;
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else socket.resetAndDestroy();
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 'only', release: 'r1', host: '127.0.0.1', port: (app.address() as AddressInfo).port });
      const ejected: TargetEjectedEvent[] = [];
      proxy.on('target:ejected', (event) => ejected.push(event));
      assert.equal((await ask({ port, path: '/one' })).status, 200);
      assert.equal((await ask({ port, path: '/two' })).status, 200);
      assert.equal(connections, 2, 'the second request went out again on a new connection');
      assert.deepEqual(ejected, []);
      // The pool does not send a POST on a socket it has not checked since it went idle (it may
      // open a new one instead); one that did go out on a reset socket is answered 502, never replayed.
      const post = await ask({ port, method: 'POST', path: '/three', body: 'x' });
      assert.equal(posts, 1, 'the POST reached the app exactly once');
      assert.equal(post.status === 200 || post.status === 502, true, `status ${post.status}`);
    } finally {
      await new Promise<void>((resolve) => app.close(() => resolve()));
    }
  });

  test('three responses cut short in a row eject the target', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const broken = await startUpstream(t, 'broken', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    proxy.setRoute(route('svc'));
    proxy.addTarget('svc', { id: 'broken', release: 'r1', host: '127.0.0.1', port: broken.port });
    const ejected: TargetEjectedEvent[] = [];
    proxy.on('target:ejected', (event) => ejected.push(event));
    for (let i = 0; i < 3; i++) {
      assert.equal(ejected.length, 0);
      await assert.rejects(ask({ port, path: `/cut/${i}` }), 'the client sees its response cut');
    }
    assert.deepEqual(ejected, [{ service: 'svc', id: 'broken', reason: 'response cut short' }]);
    const counters = proxy.counters('svc').r1;
    assert.equal(counters.proxyErrors, 3);
    assert.equal(counters.byStatusClass['5xx'], 3);
  });
});
