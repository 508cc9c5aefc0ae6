import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRequestPath } from '../../../src/agent/proxy/request-path.ts';
import { ask, json, route, startProxy, startUpstream } from './proxy-test-kit.ts';

test('normalizeRequestPath resolves dot segments (plain or %2e), collapses slashes and keeps the query', () => {
  const cases: [string, string][] = [
    ['/payments/x', '/payments/x'],
    ['/.well-known/acme', '/.well-known/acme'],
    ['/payments/../auth', '/auth'],
    ['/payments/%2e%2e/auth', '/auth'],
    ['/payments/%2E%2e/auth?a=/../b', '/auth?a=/../b'],
    ['/payments/.%2e/auth', '/auth'],
    ['//payments/../auth', '/auth'],
    ['/payments//x', '/payments/x'],
    ['/payments/./x', '/payments/x'],
    ['/payments/../../../auth', '/auth'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/..', '/'],
    ['//', '/'],
    ['/a..b/c.', '/a..b/c.'],
    ['*', '*'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeRequestPath(input), expected, input);
});

test('a path that climbs out of a prefix is routed by where it lands, and forwarded normalised', async (t) => {
  const auth = await startUpstream(t, 'auth');
  const payments = await startUpstream(t, 'payments');
  const { proxy, port } = await startProxy(t);
  proxy.setRoute(route('auth', { pathPrefix: '/auth' }));
  proxy.setRoute(route('payments', { pathPrefix: '/payments' }));
  proxy.addTarget('auth', { id: 'a', release: 'v1', host: '127.0.0.1', port: auth.port });
  proxy.addTarget('payments', { id: 'p', release: 'v1', host: '127.0.0.1', port: payments.port });
  for (const path of ['/payments/../auth/me', '/payments/%2e%2e/auth/me', '/payments/%2E%2E/auth/me', '//payments/..//auth/me']) {
    const reply = await ask({ port, path });
    assert.equal(reply.status, 200, path);
    assert.deepEqual(json(reply), { ...json(reply), id: 'auth', url: '/auth/me' }, path);
  }
  const reply = await ask({ port, path: '/payments//./charge?x=1' });
  assert.equal(json(reply).id, 'payments');
  assert.equal(json(reply).url, '/payments/charge?x=1');
  assert.equal(payments.requests.length, 1, 'nothing else reached payments');
});
