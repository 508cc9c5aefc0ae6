import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WARM_REQUESTS, warmProxy, warmTarget } from '../../src/cli/warm-proxy.ts';
import { parseConfigText } from '../../src/config/load-config.ts';

function configOf(web: string, proxy = '') {
  return parseConfigText(`service: shop\nprocesses:\n  web: ${web}\n${proxy}`, '/srv/shop/cutover.yml').config;
}

test('the warm-up asks for the routed process http health path, as the route maps it', () => {
  const http = '{ command: node server.js, health: { type: http, path: /up } }';
  assert.deepEqual(warmTarget(configOf(http)), { host: 'localhost', path: '/up' });
  assert.deepEqual(warmTarget(configOf(http, 'proxy: { hosts: ["*.example.com", shop.example.com] }\n')), {
    host: 'shop.example.com',
    path: '/up',
  });
  assert.deepEqual(warmTarget(configOf(http, 'proxy: { pathPrefix: /shop, stripPrefix: true }\n')), {
    host: 'localhost',
    path: '/shop/up',
  });
  assert.deepEqual(
    warmTarget(configOf('{ command: node s.js, health: { type: http, path: /shop/up } }', 'proxy: { pathPrefix: /shop }\n')),
    {
      host: 'localhost',
      path: '/shop/up',
    },
  );
});

test('no warm-up where no request through the proxy would reach the health path', () => {
  assert.equal(warmTarget(configOf('{ command: node server.js, health: { type: tcp } }')), null);
  assert.equal(warmTarget(configOf('{ command: node server.js }')), null);
  // Turned off in the config.
  assert.equal(warmTarget(configOf('{ command: node s.js, health: { type: http, path: /up } }', 'proxy: { warmUp: false }\n')), null);
  // The prefix is kept and the health path lies outside it: the route would not send it to the service.
  assert.equal(warmTarget(configOf('{ command: node s.js, health: { type: http, path: /up } }', 'proxy: { pathPrefix: /shop }\n')), null);
  assert.equal(
    warmTarget(configOf('{ command: node s.js, health: { type: http, path: /up } }', 'proxy: { hosts: ["*.example.com"] }\n')),
    null,
  );
});

test('warmProxy sends its burst with the Host header, on keep-alive and new connections, whatever the answers', async () => {
  const seen = { requests: 0, connections: 0, paths: new Set<string>(), hosts: new Set<string>() };
  const server = createServer((req, res) => {
    seen.requests++;
    seen.paths.add(req.url ?? '');
    seen.hosts.add(req.headers.host ?? '');
    res.writeHead(seen.requests % 2 ? 200 : 503).end('x');
  });
  server.on('connection', () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const sent = await warmProxy((server.address() as AddressInfo).port, { host: 'shop.example.com', path: '/up' });
    assert.equal(sent, WARM_REQUESTS);
    assert.equal(seen.requests, WARM_REQUESTS);
    assert.deepEqual([...seen.paths], ['/up']);
    assert.deepEqual([...seen.hosts], ['shop.example.com']);
    // One in three on a connection of its own, the rest over at most 4 kept-alive ones.
    assert.ok(
      seen.connections >= Math.floor(WARM_REQUESTS / 3) && seen.connections <= Math.floor(WARM_REQUESTS / 3) + 8,
      `${seen.connections}`,
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('warmProxy gives up quietly when nothing listens', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  assert.ok((await warmProxy(port, { host: 'localhost', path: '/up' })) > 0);
});
