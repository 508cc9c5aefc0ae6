import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { ask, type Cleanup, route, startProxy, startUpstream, type Upstream, waitFor, within } from './proxy-test-kit.ts';

const TEST = { timeout: 30_000 };

/** An upstream whose WebSocket server echoes every message prefixed with its id. */
async function startEchoSocketServer(t: Cleanup, id: string): Promise<{ upstream: Upstream; wss: WebSocketServer; paths: string[] }> {
  const upstream = await startUpstream(t, id);
  const wss = new WebSocketServer({ server: upstream.server });
  const paths: string[] = [];
  wss.on('connection', (socket, req) => {
    paths.push(`${req.url} ${req.headers['x-forwarded-for']}`);
    socket.on('message', (data) => socket.send(`${id}:${data.toString()}`));
  });
  return { upstream, wss, paths };
}

function connect(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  return within(
    new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    }),
    5000,
    'websocket open',
  );
}

async function roundTrip(socket: WebSocket, text: string): Promise<string> {
  const reply = once(socket, 'message');
  socket.send(text);
  const [data] = await within(reply, 5000, 'websocket echo');
  return String(data);
}

describe('ProxyServer WebSockets', () => {
  test('proxies a WebSocket, counts it on its target and honours the grace on removeTarget', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const echo = await startEchoSocketServer(t, 'ws-1');
    try {
      proxy.setRoute(route('svc', { pathPrefix: '/live', stripPrefix: true, websocketGraceMs: 400 }));
      proxy.addTarget('svc', { id: 'ws-1', release: 'r1', host: '127.0.0.1', port: echo.upstream.port });
      const socket = await connect(`ws://127.0.0.1:${port}/live/feed`);
      assert.equal(await roundTrip(socket, 'hello'), 'ws-1:hello');
      assert.deepEqual(echo.paths, ['/feed 127.0.0.1']);
      assert.equal(proxy.targets('svc')[0].websockets, 1);
      assert.equal(proxy.targets('svc')[0].inFlight, 0, 'an open WebSocket is not an in-flight request');
      assert.equal(proxy.counters('svc').r1.byStatusClass['1xx'], 1);

      const closed = once(socket, 'close');
      const startedMs = Date.now();
      const drained = proxy.removeTarget('svc', 'ws-1');
      assert.equal(await roundTrip(socket, 'still here'), 'ws-1:still here', 'the WebSocket works during its grace');
      const report = await within(drained, 5000, 'drain');
      const [code, reason] = await within(closed, 5000, 'client close');
      assert.ok(Date.now() - startedMs >= 300, 'closed only after the grace');
      assert.equal(code, 1012, 'the proxy sent a close frame (service restart), not a cut connection (1006)');
      assert.equal(String(reason), 'instance retired');
      assert.equal(report.websocketsClosed, 1);
      assert.equal(report.inFlightAtStart, 0);
      assert.equal(socket.readyState, WebSocket.CLOSED);
      await waitFor(() => echo.wss.clients.size === 0, 'upstream side closed');
    } finally {
      echo.wss.close();
    }
  });

  test('the close frame at the end of the grace waits for the end of a frame in progress', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'slow-frames');
    const wss = new WebSocketServer({ server: upstream.server });
    // Sends one 64 KiB binary frame in two halves, 300 ms apart, when asked: the grace ends in between.
    wss.on('connection', (socket) => {
      socket.on('message', () => {
        const raw = (socket as unknown as { _socket: import('node:net').Socket })._socket;
        const payload = Buffer.alloc(65536, 7);
        const header = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        raw.write(Buffer.concat([header, payload.subarray(0, 30000)]));
        setTimeout(() => raw.write(payload.subarray(30000)), 300);
      });
    });
    try {
      proxy.setRoute(route('svc', { websocketGraceMs: 100 }));
      proxy.addTarget('svc', { id: 'slow', release: 'r1', host: '127.0.0.1', port: upstream.port });
      const socket = await connect(`ws://127.0.0.1:${port}/`);
      const messages: Buffer[] = [];
      socket.on('message', (data) => messages.push(data as Buffer));
      const closed = once(socket, 'close');
      socket.send('go');
      await waitFor(() => proxy.targets('svc')[0].websockets === 1, 'tunnel counted');
      await new Promise((resolve) => setTimeout(resolve, 50));
      void proxy.removeTarget('svc', 'slow');
      const [code] = await within(closed, 5000, 'client close');
      assert.equal(code, 1012);
      assert.equal(messages.length, 1, 'the frame in progress arrived whole before the close frame');
      assert.equal(messages[0].length, 65536);
    } finally {
      wss.close();
    }
  });

  test('a WebSocket that closes by itself ends the drain early', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const echo = await startEchoSocketServer(t, 'ws-1');
    try {
      proxy.setRoute(route('svc', { websocketGraceMs: 10_000 }));
      proxy.addTarget('svc', { id: 'ws-1', release: 'r1', host: '127.0.0.1', port: echo.upstream.port });
      const socket = await connect(`ws://127.0.0.1:${port}/`);
      await roundTrip(socket, 'x');
      const drained = proxy.removeTarget('svc', 'ws-1');
      socket.close(1000, 'bye');
      const report = await within(drained, 5000, 'drain');
      assert.equal(report.websocketsClosed, 0);
      assert.ok(report.drainedMs < 5000);
    } finally {
      echo.wss.close();
    }
  });

  test('an upgrade to a dead target is retried on another; a refused upgrade is relayed', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const dead = await startUpstream(t, 'dead');
    await dead.close();
    const echo = await startEchoSocketServer(t, 'ws-2');
    try {
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 'dead', release: 'r1', host: '127.0.0.1', port: dead.port });
      proxy.addTarget('svc', { id: 'ws-2', release: 'r1', host: '127.0.0.1', port: echo.upstream.port });
      const ejected: string[] = [];
      proxy.on('target:ejected', (event) => ejected.push(event.id));
      const socket = await connect(`ws://127.0.0.1:${port}/`);
      assert.equal(await roundTrip(socket, 'ok'), 'ws-2:ok');
      assert.deepEqual(ejected, ['dead'], 'the dead target was tried first');
      socket.close();
      const plain = await startUpstream(t, 'plain');
      proxy.setRoute(route('plain', { pathPrefix: '/plain' }));
      proxy.addTarget('plain', { id: 'p', release: 'r1', host: '127.0.0.1', port: plain.port });
      const refused = new WebSocket(`ws://127.0.0.1:${port}/plain`).on('error', () => {});
      const [, response] = await within(once(refused, 'unexpected-response'), 5000, 'refused upgrade');
      assert.equal(response.statusCode, 200, 'a server without WebSocket support answers plainly, and that answer is relayed');
      refused.terminate();
      await plain.close();
      assert.equal((await ask({ port, path: '/plain/x' })).status, 502, 'a lone dead target gives 502');
    } finally {
      echo.wss.close();
    }
  });

  test('an upgrade with no route is answered 404', TEST, async (t) => {
    const { port } = await startProxy(t);
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`).on('error', () => {});
    const [, response] = await within(once(socket, 'unexpected-response'), 5000, 'refused upgrade');
    assert.equal(response.statusCode, 404);
    socket.terminate();
  });
});
