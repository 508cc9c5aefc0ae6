import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ProxyServer } from '../../src/agent/proxy/proxy-server.ts';
import { createMetricProviders } from '../../src/analysis/create-metric-providers.ts';
import { parseAnalysisDefinition } from '../../src/analysis/parse-analysis-definition.ts';
import { runAnalysis } from '../../src/analysis/run-analysis.ts';
import { summarizeVerdict } from '../../src/analysis/summarize-verdict.ts';
import { createVirtualClock } from './virtual-clock.ts';

// The analysis judged on what the real agent proxy saw: upstreams on 127.0.0.1:0, the proxy in
// front, real requests through it. Only time is virtual (starting now, so the proxy's samples,
// stamped with Date.now(), fall inside the windows).

const TEST = { timeout: 60_000 };
const SERVICE = 'compliance';

interface Upstream {
  port: number;
  close(): Promise<void>;
}

/** An app that waits `delayMs` and answers 200, or 503 on /fail when it is `broken`. */
async function startApp(delayMs: number, broken: boolean): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(broken && req.url === '/fail' ? 503 : 200, { 'content-type': 'text/plain' });
      res.end('ok');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let proxy: ProxyServer;
let proxyPort: number;
const apps: Upstream[] = [];

/** Replaces the service's targets with one app per release ({ delayMs, broken }) and sets the split. */
async function deploy(releases: Record<string, { delayMs: number; broken?: boolean }>, weights: Record<string, number>): Promise<void> {
  proxy.setRoute({ service: SERVICE, hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 1000, websocketGraceMs: 1000 });
  for (const target of proxy.targets(SERVICE)) await proxy.removeTarget(SERVICE, target.id);
  for (const [release, { delayMs, broken }] of Object.entries(releases)) {
    const app = await startApp(delayMs, broken ?? false);
    apps.push(app);
    proxy.addTarget(SERVICE, { id: `${release}-${app.port}`, release, host: '127.0.0.1', port: app.port });
  }
  proxy.setReleaseWeights(SERVICE, weights);
}

async function send(count: number, path = '/'): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://127.0.0.1:${proxyPort}${path}`);
    await response.text();
  }
}

function providers() {
  return createMetricProviders({
    proxySource: async (release) => ({ counters: proxy.counters(SERVICE)[release] ?? null, samples: proxy.samples(SERVICE, release) }),
  });
}

before(async () => {
  proxy = new ProxyServer({ httpPort: 0, listenHost: '127.0.0.1' });
  proxyPort = (await proxy.listen()).httpPort;
});
after(async () => {
  await proxy.close();
  await Promise.all(apps.map((app) => app.close()));
});

describe('runAnalysis on the real agent proxy', () => {
  test('a canary that receives no traffic is no data under onNoData, never a pass (Flagger #1035)', TEST, async () => {
    await deploy({ a1: { delayMs: 0 }, a2: { delayMs: 0 } }, { a1: 100, a2: 0 });
    await send(20);
    const metric = { name: 'error-rate', provider: { kind: 'proxy', metric: 'error-rate' }, max: 0.01, windowMs: '1m', intervalMs: '30s' };
    const extend = parseAnalysisDefinition({ metrics: [{ ...metric, onNoData: 'extend', maxExtensions: 2 }] });
    const result = await runAnalysis(
      extend,
      { providers: providers(), clock: createVirtualClock(Date.now()) },
      { release: 'a2', service: SERVICE },
    );
    assert.equal(result.verdict, 'inconclusive');
    assert.equal(result.measurements.length, 3, 'two extensions, then inconclusive: bounded');
    assert.equal(
      summarizeVerdict(result),
      'inconclusive: error-rate: no data: no requests reached release a2 in the last 1m (the proxy has never routed to it) (no extensions left: 2 used) on canary a2 (1 of 1 measurement inconclusive, limit 0)',
    );
    const strict = parseAnalysisDefinition({ metrics: [{ ...metric, onNoData: 'fail' }] });
    const failed = await runAnalysis(strict, { providers: providers(), clock: createVirtualClock(Date.now()) }, { release: 'a2' });
    assert.equal(failed.verdict, 'fail');
  });

  test('the compliance gates: error rate under 1% and p99 under 500 ms, failing on a canary that answers 503', TEST, async () => {
    await deploy({ b1: { delayMs: 0 }, b2: { delayMs: 0, broken: true } }, { b1: 50, b2: 50 });
    await send(40);
    await send(4, '/fail');
    const gates = parseAnalysisDefinition({
      metrics: [
        { name: 'error-rate', provider: { kind: 'proxy', metric: 'error-rate' }, max: 0.01, minSamples: 20, windowMs: '5m' },
        { name: 'latency-p99', provider: { kind: 'proxy', metric: 'latency-p99' }, max: 500, minSamples: 20, windowMs: '5m' },
      ],
    });
    const result = await runAnalysis(
      gates,
      { providers: providers(), clock: createVirtualClock(Date.now()) },
      { release: 'b2', baselineRelease: 'b1' },
    );
    assert.deepEqual([result.verdict, result.decidedBy], ['fail', 'error-rate']);
    assert.equal(result.metrics[1].verdict === 'pass' || result.metrics[1].verdict === 'inconclusive', true);
    assert.equal(summarizeVerdict(result), 'fail: error-rate 9.091% > max 1% on canary b2 (1 of 1 measurement failed)');
    const stable = await runAnalysis(gates, { providers: providers(), clock: createVirtualClock(Date.now()) }, { release: 'b1' });
    assert.equal(stable.verdict, 'pass', summarizeVerdict(stable));
  });

  test('a Mann-Whitney latency gate fails a canary 80 ms slower than stable and passes one as fast', TEST, async () => {
    const gate = parseAnalysisDefinition({
      metrics: [
        {
          name: 'latency',
          provider: { kind: 'proxy', metric: 'latency-p50' },
          mannWhitney: { alpha: 0.05, minEffect: 30, minEffectPercent: 20, minSamples: 20 },
          windowMs: '5m',
        },
      ],
    });
    await deploy({ c1: { delayMs: 5 }, c2: { delayMs: 85 } }, { c1: 50, c2: 50 });
    await send(60);
    const slow = await runAnalysis(
      gate,
      { providers: providers(), clock: createVirtualClock(Date.now()) },
      { release: 'c2', baselineRelease: 'c1' },
    );
    assert.equal(slow.verdict, 'fail', summarizeVerdict(slow));
    assert.match(summarizeVerdict(slow), /significant increase against the baseline/);

    await deploy({ c3: { delayMs: 5 }, c4: { delayMs: 5 } }, { c3: 50, c4: 50 });
    await send(60);
    const same = await runAnalysis(
      gate,
      { providers: providers(), clock: createVirtualClock(Date.now()) },
      { release: 'c4', baselineRelease: 'c3' },
    );
    assert.equal(same.verdict, 'pass', summarizeVerdict(same));
  });
});
