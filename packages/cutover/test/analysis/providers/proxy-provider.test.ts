import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ProxyServer } from '../../../src/agent/proxy/proxy-server.ts';
import { createProxyProvider, measureProxy, type ProxyReading, type ProxySample } from '../../../src/analysis/providers/proxy-provider.ts';
import { measureContext } from '../analysis-fixtures.ts';

const TEST = { timeout: 30_000 };
const NOW = 1_700_000_000_000;
const ctx = { release: 'v2', windowMs: 60_000, nowMs: NOW };

function counters(requests: number) {
  const byStatusClass = { '1xx': 0, '2xx': requests, '3xx': 0, '4xx': 0, '5xx': 0 };
  return { requests, byStatusClass, proxyErrors: 0, latencyBucketsMs: [], latencySumMs: 0 };
}

/** 10 samples inside the window: latencies 10..100 ms, two 5xx (one the proxy's own 502), one 404; and two outside it. */
function reading(): ProxyReading {
  const inside: ProxySample[] = Array.from({ length: 10 }, (_, i) => ({
    atMs: NOW - 50_000 + i * 1000,
    latencyMs: (i + 1) * 10,
    status: 200,
  }));
  inside[3].status = 500;
  inside[7].status = 502;
  inside[8].status = 404;
  const outside = [
    { atMs: NOW - 60_001, latencyMs: 9999, status: 500 },
    { atMs: NOW + 1, latencyMs: 9999, status: 500 },
  ];
  return { counters: counters(12), samples: [outside[0], ...inside, outside[1]] };
}

describe('proxy provider: built-in metrics from the window of samples', () => {
  test('each built-in metric, computed only from samples inside [now - window, now]', () => {
    const expected: [Parameters<typeof measureProxy>[0], number][] = [
      ['success-rate', 0.8],
      ['error-rate', 0.2],
      ['requests', 10],
      ['latency-p50', 55],
      ['latency-p95', 95.5],
      ['latency-p99', 99.1],
    ];
    for (const [metric, value] of expected) {
      const result = measureProxy(metric, reading(), ctx);
      assert.equal(result.outcome, 'value', metric);
      assert.ok(
        result.outcome === 'value' && Math.abs(result.value - value) < 1e-9,
        `${metric}: ${result.outcome === 'value' && result.value}`,
      );
      assert.equal(result.outcome === 'value' && result.sampleCount, 10, metric);
    }
    const p99 = measureProxy('latency-p99', reading(), ctx);
    assert.deepEqual(p99.outcome === 'value' && p99.samples, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    assert.deepEqual(p99.raw, {
      windowStartMs: NOW - 60_000,
      windowEndMs: NOW,
      requests: 10,
      serverErrors: 2,
      byStatusClass: { '2xx': 7, '5xx': 2, '4xx': 1 },
      truncated: false,
      inFlight: 0,
      totalRequests: 12,
      totalProxyErrors: 0,
    });
  });

  test('a release without traffic in the window is no data, never a 0% error rate (Flagger #1035)', () => {
    const idle = measureProxy('error-rate', { counters: counters(5), samples: [{ atMs: NOW - 120_000, latencyMs: 5, status: 200 }] }, ctx);
    assert.deepEqual(
      [idle.outcome, idle.outcome === 'no-data' && idle.reason],
      ['no-data', 'no requests reached release v2 in the last 1m'],
    );
    const unknown = measureProxy('success-rate', { counters: null, samples: [] }, ctx);
    assert.match(unknown.outcome === 'no-data' ? unknown.reason : '', /never routed to it/);
  });

  test('requests still in flight count in latency (their age so far), so a canary that hangs is not healthy', () => {
    const hanging: ProxySample[] = Array.from({ length: 3 }, (_, i) => ({
      atMs: NOW + 5,
      latencyMs: 20_000 + i,
      status: 0,
      inFlight: true,
    }));
    const p50 = measureProxy('latency-p50', { counters: counters(0), samples: hanging }, ctx);
    assert.equal(p50.outcome === 'value' && p50.value, 20_001);
    assert.equal(p50.outcome === 'value' && p50.sampleCount, 3);
    const mixed = measureProxy('latency-p99', { counters: counters(10), samples: [...reading().samples, ...hanging] }, ctx);
    assert.ok(mixed.outcome === 'value' && mixed.value > 10_000, 'the hung requests dominate the tail');
    const rate = measureProxy('error-rate', { counters: counters(0), samples: hanging }, ctx);
    assert.deepEqual(
      [rate.outcome, rate.outcome === 'no-data' && rate.reason],
      ['no-data', 'no requests reached release v2 in the last 1m (3 still unanswered)'],
      'no answer is no data, never a 0% error rate',
    );
  });

  test('flags a window the sample ring no longer fully covers', () => {
    const samples = [{ atMs: NOW - 1000, latencyMs: 5, status: 200 }];
    const result = measureProxy('requests', { counters: counters(50_000), samples }, ctx);
    assert.equal((result.raw as { truncated: boolean }).truncated, true);
  });

  test('a source that throws is an error measurement', async () => {
    const provider = createProxyProvider(async () => {
      throw new Error('agent admin API unreachable');
    });
    const result = await provider.measure({ kind: 'proxy', metric: 'error-rate' }, measureContext());
    assert.deepEqual(
      [result.outcome, result.outcome === 'error' && result.reason],
      ['error', "the proxy's counters for release v2 could not be read: agent admin API unreachable"],
    );
  });
});

describe('proxy provider on the real agent proxy', () => {
  test('reads what the proxy counted for canary and stable releases under a 50/50 split', TEST, async () => {
    const upstreams = await Promise.all(['v1', 'v2'].map((id) => startUpstream(id)));
    const proxy = new ProxyServer({ httpPort: 0, listenHost: '127.0.0.1' });
    const { httpPort } = await proxy.listen();
    try {
      proxy.setRoute({ service: 'svc', hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 1000, websocketGraceMs: 1000 });
      upstreams.forEach((upstream) => {
        proxy.addTarget('svc', { id: upstream.id, release: upstream.id, host: '127.0.0.1', port: upstream.port });
      });
      proxy.setReleaseWeights('svc', { v1: 50, v2: 50 });
      const served = { v1: { total: 0, failed: 0 }, v2: { total: 0, failed: 0 } };
      for (let i = 0; i < 40; i++) {
        const response = await fetch(`http://127.0.0.1:${httpPort}/${i % 4 === 0 ? 'fail' : 'ok'}`);
        const release = response.headers.get('x-release') as 'v1' | 'v2';
        await response.text();
        served[release].total++;
        if (response.status >= 500) served[release].failed++;
      }
      assert.ok(served.v1.total > 0 && served.v2.total > 0, JSON.stringify(served));
      const provider = createProxyProvider(async (release) => ({
        counters: proxy.counters('svc')[release] ?? null,
        samples: proxy.samples('svc', release),
      }));
      const at = measureContext({ windowMs: 60_000, nowMs: Date.now() });
      const canaryErrors = await provider.measure({ kind: 'proxy', metric: 'error-rate' }, at);
      assert.equal(canaryErrors.outcome === 'value' && canaryErrors.value, served.v2.failed / served.v2.total);
      assert.equal(canaryErrors.outcome === 'value' && canaryErrors.sampleCount, served.v2.total);
      const stableErrors = await provider.measure({ kind: 'proxy', metric: 'error-rate' }, { ...at, release: 'v1' });
      assert.equal(stableErrors.outcome === 'value' && stableErrors.value, 0);
      const requests = await provider.measure({ kind: 'proxy', metric: 'requests' }, at);
      assert.equal(requests.outcome === 'value' && requests.value, served.v2.total);
      const p99 = await provider.measure({ kind: 'proxy', metric: 'latency-p99' }, at);
      assert.equal(p99.outcome === 'value' && p99.samples?.length, served.v2.total);
      const unrouted = await provider.measure({ kind: 'proxy', metric: 'error-rate' }, { ...at, release: 'v3' });
      assert.equal(unrouted.outcome, 'no-data');
    } finally {
      await proxy.close();
      await Promise.all(upstreams.map((upstream) => upstream.close()));
    }
  });
});

/** v1 always answers 200; v2 answers 503 on /fail. Each says who it is in x-release. */
async function startUpstream(id: string): Promise<{ id: string; port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const failing = id === 'v2' && req.url === '/fail';
    res.writeHead(failing ? 503 : 200, { 'x-release': id, 'content-type': 'text/plain' });
    res.end(id);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    id,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
