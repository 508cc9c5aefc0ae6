import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathFilter } from '../../../src/agent/proxy/path-filter.ts';
import { ask, route, startProxy, startUpstream } from './proxy-test-kit.ts';

test('PathFilter: include narrows, exclude removes, segment-aware; an empty spec filters nothing', () => {
  assert.equal(PathFilter.of(undefined), null);
  assert.equal(PathFilter.of({ include: [], exclude: [] }), null);
  const filter = new PathFilter({ include: ['/api/'], exclude: ['/api/events', '/api/upload'] });
  const cases: [string, boolean][] = [
    ['/api/orders', true],
    ['/api', true],
    ['/api/events', false],
    ['/api/events/stream?x=1', false],
    ['/api/eventsx', true],
    ['/api/upload?id=3', false],
    ['/health', false],
  ];
  for (const [path, counts] of cases) assert.equal(filter.counts(path), counts, path);
});

test('requests under an excluded prefix reach the app but not the release counters', async (t) => {
  const app = await startUpstream(t, 'app');
  const { proxy, port } = await startProxy(t);
  proxy.setRoute(route('shop', { metricsPaths: { exclude: ['/events'] } }));
  proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: app.port });
  for (const path of ['/orders', '/events', '/events/x', '/orders/2']) assert.equal((await ask({ port, path })).status, 200);
  assert.equal(app.requests.length, 4);
  assert.equal(proxy.counters('shop').v1.requests, 2);
  assert.equal(proxy.samples('shop', 'v1').length, 2);
});
