import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { HEADERS_OVERFLOW } from '../../../src/agent/proxy/response-parser.ts';
import {
  BODY_TIMEOUT,
  HEADERS_TIMEOUT,
  UPSTREAM_CLOSED,
  UpstreamClient,
  type UpstreamController,
  type UpstreamRequest,
} from '../../../src/agent/proxy/upstream-client.ts';

const TEST = { timeout: 30_000 };

interface Outcome {
  status: number;
  headers: string[];
  body: string;
  error: NodeJS.ErrnoException | null;
}

/** A raw TCP app: `onRequest` gets each request head (as text) with its socket and answers as it likes. */
async function rawApp(
  t: { after(fn: () => unknown): void },
  onRequest: (head: string, socket: net.Socket, index: number) => void,
): Promise<{ port: number; connections: number; closes: EventEmitter }> {
  const state = { port: 0, connections: 0, closes: new EventEmitter() };
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      state.closes.emit('close');
    });
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        onRequest(head, socket, requests++);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return state;
}

function client(t: { after(fn: () => unknown): void }, port: number, idleTimeoutMs = 4000): UpstreamClient {
  const upstream = new UpstreamClient({ host: '127.0.0.1', port, idleTimeoutMs, keepAliveHintMarginMs: 1000 });
  t.after(() => upstream.destroy());
  return upstream;
}

function send(
  upstream: UpstreamClient,
  options: Partial<UpstreamRequest> = {},
  onData?: (controller: UpstreamController, chunk: Buffer) => void,
): Promise<Outcome> {
  const outcome: Outcome = { status: 0, headers: [], body: '', error: null };
  return new Promise((resolve) => {
    upstream.dispatch(
      { method: 'GET', path: '/', headers: [], body: null, connectMs: 5000, headersMs: 5000, bodyIdleMs: 5000, ...options },
      {
        onRequestStart() {},
        onResponseStart(_c, status, headers) {
          outcome.status = status;
          outcome.headers = headers;
        },
        onResponseData(controller, chunk) {
          outcome.body += chunk.toString('latin1');
          onData?.(controller, chunk);
        },
        onResponseEnd: () => resolve(outcome),
        onResponseError(error) {
          outcome.error = error;
          resolve(outcome);
        },
      },
    );
  });
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

describe('UpstreamClient', () => {
  test('keeps a socket alive across requests; sends Host when the request has none', TEST, async (t) => {
    const heads: string[] = [];
    const app = await rawApp(t, (head, socket) => {
      heads.push(head);
      socket.write(OK);
    });
    const upstream = client(t, app.port);
    assert.equal((await send(upstream)).body, 'ok');
    assert.equal((await send(upstream, { path: '/two?x=1', headers: ['Host', 'example.test'] })).body, 'ok');
    assert.equal(app.connections, 1);
    assert.equal(heads[0], `GET / HTTP/1.1\r\nHost: 127.0.0.1:${app.port}`);
    assert.equal(heads[1], 'GET /two?x=1 HTTP/1.1\r\nHost: example.test');
  });

  test('Connection: close, extra bytes after a response, and a body read until close leave the socket unused', TEST, async (t) => {
    const answers = [
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
      `${OK}HTTP/1.1 200 OK\r\n`,
      'HTTP/1.1 200 OK\r\n\r\nuntil-close',
    ];
    const app = await rawApp(t, (_head, socket, index) => {
      socket.write(answers[index] ?? OK);
      if (index === 2) socket.end();
    });
    const upstream = client(t, app.port);
    assert.equal((await send(upstream)).body, 'ok');
    assert.equal((await send(upstream)).body, 'ok');
    assert.equal((await send(upstream)).body, 'until-close');
    assert.equal((await send(upstream)).body, 'ok');
    assert.equal(app.connections, 4);
  });

  test('an idle socket past its limit, or past the app keep-alive hint less the margin, is not reused', TEST, async (t) => {
    const app = await rawApp(t, (_head, socket) => socket.write(OK));
    const upstream = client(t, app.port, 50);
    const closed = once(app.closes, 'close');
    await send(upstream);
    // The idle sweep closes it (a reuse would refuse it too).
    await closed;
    await send(upstream);
    assert.equal(app.connections, 2);
    // A hint of 1 s less the 1 s margin leaves nothing: never reused.
    const hinted = await rawApp(t, (_head, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n'),
    );
    const short = client(t, hinted.port);
    await send(short);
    await send(short);
    assert.equal(hinted.connections, 2);
  });

  test('the app closing before or during the response is an error, as is a reset', TEST, async (t) => {
    const app = await rawApp(t, (_head, socket, index) => {
      if (index === 0) socket.end();
      else if (index === 1) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
      else socket.resetAndDestroy();
    });
    const upstream = client(t, app.port);
    const before = await send(upstream);
    assert.equal(before.error?.code, UPSTREAM_CLOSED);
    assert.equal(before.status, 0);
    const during = await send(upstream);
    assert.equal(during.error?.code, UPSTREAM_CLOSED);
    assert.equal(during.status, 200);
    assert.equal(during.body, 'short');
    assert.equal((await send(upstream)).error?.code, 'ECONNRESET');
  });

  test('a refused connection fails with the connect syscall; an oversized head with its code', TEST, async (t) => {
    const big = await rawApp(t, (_head, socket) => socket.write(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(http.maxHeaderSize)}\r\n\r\n`));
    assert.equal((await send(client(t, big.port))).error?.code, HEADERS_OVERFLOW);
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const freePort = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const error = (await send(client(t, freePort))).error;
    assert.equal(error?.code, 'ECONNREFUSED');
    assert.equal(error?.syscall, 'connect');
  });

  test('a silent app hits the head timeout; a stalled body the idle timeout', TEST, async (t) => {
    const app = await rawApp(t, (_head, socket, index) => {
      if (index === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    });
    const upstream = client(t, app.port);
    assert.equal((await send(upstream, { headersMs: 50 })).error?.code, HEADERS_TIMEOUT);
    const stalled = await send(upstream, { bodyIdleMs: 50 });
    assert.equal(stalled.error?.code, BODY_TIMEOUT);
    assert.equal(stalled.body, 'abc');
  });

  test('request bodies stream as is with Content-Length, chunked without; a large response obeys pause and resume', TEST, async (t) => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const app = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        if (req.url === '/big') res.end('x'.repeat(4 * 1024 * 1024));
        else res.end(`got ${body.length}`);
      });
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    t.after(() => {
      app.closeAllConnections();
      return new Promise((resolve) => app.close(resolve));
    });
    const appPort = (app.address() as AddressInfo).port;
    // The request bodies come from a real client request, as in the proxy.
    const front = http.createServer();
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    t.after(() => new Promise((resolve) => front.close(resolve)));
    const upstream = client(t, appPort);
    const through = async (headers: Record<string, string>, body: string[], path = '/'): Promise<Outcome> => {
      const arrived = once(front, 'request') as Promise<[IncomingMessage, http.ServerResponse]>;
      const req = http.request({ port: (front.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', headers, agent: false });
      req.on('error', () => {});
      req.flushHeaders();
      const [incoming, res] = await arrived;
      const raw = incoming.rawHeaders.filter((_v, i) => !/^(connection|transfer-encoding)$/i.test(incoming.rawHeaders[i - (i % 2)]));
      const outcome = send(upstream, { method: 'POST', path, headers: raw, body: incoming });
      for (const piece of body) req.write(piece);
      req.end();
      const result = await outcome;
      res.end();
      return result;
    };
    const sized = await through({ 'content-length': '11' }, ['hello', ' world']);
    assert.equal(sized.body, 'got 11');
    assert.equal(received[0].headers['content-length'], '11');
    assert.equal(received[0].headers['transfer-encoding'], undefined);
    const chunked = await through({ 'transfer-encoding': 'chunked' }, ['a'.repeat(70_000), 'b', 'c'.repeat(3)]);
    assert.equal(chunked.body, 'got 70004');
    assert.equal(received[1].headers['transfer-encoding'], 'chunked');
    assert.equal(received[1].body, `${'a'.repeat(70_000)}bccc`);
    let pauses = 0;
    const big = await send(upstream, { path: '/big' }, (controller) => {
      pauses++;
      controller.pause();
      setImmediate(() => controller.resume());
    });
    assert.equal(big.error, null);
    assert.equal(big.body.length, 4 * 1024 * 1024);
    assert.ok(pauses > 1);
    // A POST without body is sent with Content-Length: 0.
    assert.equal((await send(upstream, { method: 'POST' })).body, 'got 0');
    assert.equal(received[3].headers['content-length'], '0');
  });

  test('abort closes the socket and the handler hears nothing more; close() ends idle sockets', TEST, async (t) => {
    const app = await rawApp(t, (_head, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab'));
    const upstream = client(t, app.port);
    const events: string[] = [];
    const closed = once(app.closes, 'close');
    await new Promise<void>((resolve) => {
      upstream.dispatch(
        { method: 'GET', path: '/', headers: [], body: null, connectMs: 5000, headersMs: 5000, bodyIdleMs: 5000 },
        {
          onRequestStart: () => events.push('start'),
          onResponseStart: (controller) => {
            events.push('head');
            controller.abort();
            resolve();
          },
          onResponseData: () => events.push('data'),
          onResponseEnd: () => events.push('end'),
          onResponseError: () => events.push('error'),
        },
      );
    });
    await closed;
    assert.deepEqual(events, ['start', 'head']);
    assert.equal(upstream.connections, 0);
    const ok = await rawApp(t, (_head, socket) => socket.write(OK));
    const pooled = client(t, ok.port);
    await send(pooled);
    assert.equal(pooled.idleConnections, 1);
    pooled.close();
    assert.equal(pooled.idleConnections, 0);
    assert.equal(pooled.connections, 0);
  });
});
