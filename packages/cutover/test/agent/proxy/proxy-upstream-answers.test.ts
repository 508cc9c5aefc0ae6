import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ask, route, startProxy } from './proxy-test-kit.ts';

const TEST = { timeout: 30_000 };

/** An app written on a raw socket: answers each request head with `answer(path)`, then closes if told to. */
async function rawApp(t: { after(fn: () => unknown): void }, answer: (path: string) => { raw: string; close?: boolean }): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const path = buffered.slice(0, end).split(' ')[1];
        buffered = buffered.slice(end + 4);
        const { raw, close } = answer(path);
        if (close) socket.end(raw);
        else socket.write(raw);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

const ANSWERS: Record<string, { raw: string; close?: boolean }> = {
  '/chunked': {
    raw: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-App: 1\r\n\r\n4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nX-Trailer: t\r\n\r\n',
  },
  '/one-chunk': { raw: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nwhole!\r\n0\r\n\r\n' },
  '/interim': { raw: 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' },
  '/until-close': { raw: 'HTTP/1.1 200 OK\r\n\r\nthe whole body', close: true },
  '/malformed': { raw: 'HTTP/1.1 200 OK\r\nbad header\r\n\r\n' },
  '/both-framings': { raw: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' },
  '/oversized': { raw: `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n` },
  '/cut': { raw: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', close: true },
  '/connection-header': {
    raw: 'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok',
  },
};

describe('what the app answers, through the proxy', () => {
  test('chunked with extensions and trailers, interim answers, a body until close, hop-by-hop headers', TEST, async (t) => {
    const appPort = await rawApp(t, (path) => ANSWERS[path] ?? { raw: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' });
    const { proxy, port } = await startProxy(t);
    proxy.setRoute(route('svc'));
    proxy.addTarget('svc', { id: 'a', release: 'v1', host: '127.0.0.1', port: appPort });

    const chunked = await ask({ port, path: '/chunked' });
    assert.equal(chunked.status, 200);
    assert.equal(chunked.body, 'abcdef');
    assert.equal(chunked.headers['x-app'], '1');
    assert.equal(chunked.headers['x-trailer'], undefined);
    assert.equal(chunked.headers['transfer-encoding'], 'chunked', 'a body in several pieces is chunked anew');
    const whole = await ask({ port, path: '/one-chunk' });
    assert.equal(whole.body, 'whole!');
    assert.equal(whole.headers['content-length'], '6', 'a chunked body that came whole in one piece is framed by its length');
    assert.equal(whole.headers['transfer-encoding'], undefined);
    const interim = await ask({ port, path: '/interim' });
    assert.deepEqual([interim.status, interim.body], [200, 'ok']);
    const untilClose = await ask({ port, path: '/until-close' });
    assert.deepEqual([untilClose.status, untilClose.body], [200, 'the whole body']);
    const listed = await ask({ port, path: '/connection-header' });
    assert.equal(listed.body, 'ok');
    assert.equal(listed.headers['x-private'], undefined);
    assert.notEqual(listed.headers['keep-alive'], 'timeout=5');
  });

  test(
    'malformed, doubly framed and oversized answers are 502; a body cut short cuts the client off and counts as 502',
    TEST,
    async (t) => {
      const appPort = await rawApp(t, (path) => ANSWERS[path]);
      const { proxy, port } = await startProxy(t);
      proxy.setRoute(route('svc'));
      proxy.addTarget('svc', { id: 'a', release: 'v1', host: '127.0.0.1', port: appPort });

      for (const path of ['/malformed', '/both-framings', '/oversized']) {
        const reply = await ask({ port, path });
        assert.equal(reply.status, 502, path);
        assert.match(
          reply.body,
          /cutover proxy: service svc target a failed: UPSTREAM_(INVALID_RESPONSE|HEADERS_OVERFLOW) before response/,
          path,
        );
      }
      await assert.rejects(ask({ port, path: '/cut' }), /aborted|ECONNRESET|socket hang up/);
      const counters = proxy.counters('svc').v1;
      assert.equal(counters.byStatusClass['5xx'], 4);
      assert.equal(counters.proxyErrors, 4);
    },
  );
});
