import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeRequestHost, pathHasPrefix, Router, stripPathPrefix } from '../../../src/agent/proxy/router.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';

function router(entries: [name: string, hosts: string[], prefix: string][]): Router<string> {
  return new Router(entries.map(([name, hosts, pathPrefix]) => ({ name, hosts, pathPrefix, value: name })));
}

describe('Router', () => {
  test('longest path prefix wins within a host class', () => {
    const r = router([
      ['root', [], '/'],
      ['api', [], '/api'],
      ['apiV2', [], '/api/v2/'],
    ]);
    assert.equal(r.match('x', '/'), 'root');
    assert.equal(r.match('x', '/api'), 'api');
    assert.equal(r.match('x', '/api/users?x=1'), 'api');
    assert.equal(r.match('x', '/api?x=1'), 'api');
    assert.equal(r.match('x', '/apix'), 'root');
    assert.equal(r.match('x', '/api/v2'), 'apiV2');
    assert.equal(r.match('x', '/api/v2/items'), 'apiV2');
    assert.equal(r.match('x', '/api/v23'), 'api');
  });

  test('exact host beats wildcard beats any host, falling through when no prefix matches', () => {
    const r = router([
      ['exact', ['App.Example.com'], '/admin'],
      ['wild', ['*.example.com'], '/'],
      ['any', [], '/'],
    ]);
    assert.equal(r.match('app.example.com', '/admin/x'), 'exact');
    assert.equal(r.match('APP.example.COM:8443', '/admin'), 'exact');
    assert.equal(r.match('app.example.com', '/other'), 'wild');
    assert.equal(r.match('b.example.com', '/'), 'wild');
    assert.equal(r.match('example.com', '/'), 'any');
    assert.equal(r.match('a.b.example.com', '/'), 'any', 'a wildcard covers one label');
    assert.equal(r.match('other.org', '/admin'), 'any');
  });

  test('no match gives null; a router without routes matches nothing', () => {
    assert.equal(router([['a', ['a.test'], '/']]).match('b.test', '/'), null);
    assert.equal(router([['a', [], '/api']]).match('b.test', '/'), null);
    assert.equal(router([]).match('a', '/'), null);
  });

  test('two services claiming the same host and prefix is an error naming both', () => {
    assert.throws(
      () =>
        router([
          ['one', ['a.test'], '/api/'],
          ['two', ['A.test'], '/api'],
        ]),
      (error: unknown) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_ROUTE_INVALID' && /one and two/.test(error.message),
    );
    assert.doesNotThrow(() =>
      router([
        ['one', ['a.test'], '/api'],
        ['two', ['b.test'], '/api'],
      ]),
    );
  });

  test('malformed hosts and prefixes are rejected', () => {
    for (const host of ['http://a.test', 'a.test:80', 'a*.test', 'a b']) {
      assert.throws(() => router([['s', [host], '/']]), /invalid host/);
    }
    for (const prefix of ['api', '/a?b', '']) {
      assert.throws(() => router([['s', [], prefix]]), /invalid path prefix/);
    }
  });
});

describe('path helpers', () => {
  test('pathHasPrefix is segment-aware', () => {
    assert.equal(pathHasPrefix('/anything', '/'), true);
    assert.equal(pathHasPrefix('*', '/'), true);
    assert.equal(pathHasPrefix('/ab', '/a'), false);
    assert.equal(pathHasPrefix('/a/b', '/a'), true);
  });

  test('stripPathPrefix keeps a leading slash and the query', () => {
    assert.equal(stripPathPrefix('/api/users?x=1', '/api'), '/users?x=1');
    assert.equal(stripPathPrefix('/api', '/api'), '/');
    assert.equal(stripPathPrefix('/api?x=1', '/api'), '/?x=1');
    assert.equal(stripPathPrefix('/users', '/'), '/users');
  });

  test('normalizeRequestHost drops port, trailing dot and case', () => {
    assert.equal(normalizeRequestHost('Example.COM:8080'), 'example.com');
    assert.equal(normalizeRequestHost('example.com.'), 'example.com');
    assert.equal(normalizeRequestHost('[::1]:8080'), '[::1]');
    assert.equal(normalizeRequestHost('plain'), 'plain');
    assert.equal(normalizeRequestHost(''), '');
  });
});
