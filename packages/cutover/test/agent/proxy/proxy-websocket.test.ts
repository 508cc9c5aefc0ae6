import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { ask, type Cleanup, isPending, route, startProxy, startUpstream, type Upstream, waitFor, within } from './proxy-test-kit.ts';

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

  test('the close frame at the end of the grace waits for the end of a frame in progress, never inside a frame', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const upstream = await startUpstream(t, 'slow-frames');
    const wss = new WebSocketServer({ server: upstream.server });
    const payload = Buffer.alloc(65536, 7);
    const header = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    // On 'go' the app sends the header and the first 30000 bytes of one 64 KiB binary frame; the
    // rest, a whole frame and the start of a third only when the test says so (the grace is over).
    let appSocket: Socket | null = null;
    wss.on('connection', (socket) => {
      socket.on('message', () => {
        appSocket = (socket as unknown as { _socket: Socket })._socket;
        appSocket.write(Buffer.concat([header, payload.subarray(0, 30000)]));
      });
    });
    try {
      proxy.setRoute(route('svc', { websocketGraceMs: 0 }));
      proxy.addTarget('svc', { id: 'slow', release: 'r1', host: '127.0.0.1', port: upstream.port });
      const socket = await connect(`ws://127.0.0.1:${port}/`);
      const messages: Buffer[] = [];
      socket.on('message', (data) => messages.push(data as Buffer));
      let received = 0;
      const firstHalf = Promise.withResolvers<void>();
      (socket as unknown as { _socket: Socket })._socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= header.length + 30000) firstHalf.resolve();
      });
      const closed = once(socket, 'close');
      socket.send('go');
      await within(firstHalf.promise, 5000, 'the first half of the frame through the proxy');
      void proxy.removeTarget('svc', 'slow');
      // The grace timer (0 ms) was armed by removeTarget: a 0 ms timer armed after it runs after it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      appSocket!.write(
        Buffer.concat([payload.subarray(30000), Buffer.from([0x81, 5]), Buffer.from('after'), Buffer.from([0x82, 10, 1, 2, 3])]),
      );
      const [code, reason] = await within(closed, 5000, 'client close');
      assert.equal(code, 1012, 'a close frame between two frames (a close inside the frame would be payload, and the end 1006)');
      assert.equal(String(reason), 'instance retired');
      assert.deepEqual(messages[0], payload, 'the frame in progress arrived whole');
      // Whole frames that came with its end may go out too; the third, begun but not ended, does not.
      assert.deepEqual(
        messages.slice(1).map((m) => String(m)),
        messages.length > 1 ? ['after'] : [],
      );
    } finally {
      wss.close();
    }
  });

  test('requestsDrained: pending while an HTTP request is in flight, then resolved with the WebSocket still open', TEST, async (t) => {
    const { proxy, port } = await startProxy(t);
    const held: ServerResponse[] = [];
    const arrived = Promise.withResolvers<void>();
    const upstream = await startUpstream(t, 'ws-1', (_req, res) => {
      held.push(res);
      arrived.resolve();
    });
    const wss = new WebSocketServer({ server: upstream.server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`ws-1:${data.toString()}`)));
    try {
      proxy.setRoute(route('svc', { websocketGraceMs: 10_000, drainTimeoutMs: 10_000 }));
      proxy.addTarget('svc', { id: 'ws-1', release: 'r1', host: '127.0.0.1', port: upstream.port });
      const socket = await connect(`ws://127.0.0.1:${port}/`);
      const request = ask({ port, path: '/held' });
      await within(arrived.promise, 5000, 'the request at the app');
      const drained = proxy.removeTarget('svc', 'ws-1');
      const requestsDrained = proxy.requestsDrained('svc', 'ws-1');
      assert.equal(await roundTrip(socket, 'x'), 'ws-1:x');
      assert.equal(await isPending(requestsDrained), true, 'an HTTP request is still in flight');
      held[0].end('done');
      assert.equal((await within(request, 5000, 'the held request')).status, 200);
      await within(requestsDrained, 5000, 'requestsDrained');
      assert.equal(proxy.targets('svc')[0].websockets, 1, 'the WebSocket is still open: the app can be told to stop and close it');
      assert.equal(await isPending(drained), true, 'the drain waits for the WebSocket');
      socket.close(1000);
      await within(drained, 5000, 'drain');
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
