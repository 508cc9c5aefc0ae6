import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPrometheusText } from '../../../src/agent/proxy/prometheus-text.ts';
import { ask, route, startProxy, startUpstream, waitFor } from './proxy-test-kit.ts';

test('the counters of a release whose last target is gone leave memory and /metrics after the keep time', async (t) => {
  const v1 = await startUpstream(t, 'v1');
  const v2 = await startUpstream(t, 'v2');
  const { proxy, port } = await startProxy(t, { retiredCountersKeepMs: 200 });
  proxy.setRoute(route('shop'));
  proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: v1.port });
  await ask({ port });
  proxy.addTarget('shop', { id: 'b', release: 'v2', host: '127.0.0.1', port: v2.port });
  await proxy.removeTarget('shop', 'a');
  await ask({ port });
  assert.deepEqual(Object.keys(proxy.counters('shop')).sort(), ['v1', 'v2'], 'kept for a while after the drain');
  const metrics = () =>
    buildPrometheusText([{ service: 'shop', counters: proxy.counters('shop'), weights: null, targets: proxy.targets('shop') }]);
  assert.match(metrics(), /release="v1"/);
  await waitFor(() => !('v1' in proxy.counters('shop')), 'v1 counters forgotten', 5000);
  assert.deepEqual(Object.keys(proxy.counters('shop')), ['v2']);
  assert.doesNotMatch(metrics(), /release="v1"/);
  assert.deepEqual(proxy.samples('shop', 'v1'), []);
});

test('a release that still has a weight keeps its counters, and one that comes back starts counting again', async (t) => {
  const v1 = await startUpstream(t, 'v1');
  const { proxy, port } = await startProxy(t, { retiredCountersKeepMs: 50 });
  proxy.setRoute(route('shop'));
  proxy.addTarget('shop', { id: 'a', release: 'v1', host: '127.0.0.1', port: v1.port });
  await ask({ port });
  proxy.setReleaseWeights('shop', { v1: 100 });
  await proxy.removeTarget('shop', 'a');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(proxy.counters('shop').v1?.requests, 1, 'weighted: kept');
  proxy.setReleaseWeights('shop', null);
  assert.equal(proxy.counters('shop').v1, undefined);
  proxy.addTarget('shop', { id: 'a2', release: 'v1', host: '127.0.0.1', port: v1.port });
  await ask({ port });
  assert.equal(proxy.counters('shop').v1?.requests, 1);
});
