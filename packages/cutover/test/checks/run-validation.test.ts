import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { CheckResult } from '../../src/checks/check-result.ts';
import { computeErrorRate, type TrafficCounters } from '../../src/checks/error-rate.ts';
import { joinUrl, runValidation } from '../../src/checks/run-validation.ts';
import type { LoadedConfig } from '../../src/config/load-config.ts';
import type { ErrorRateConfig } from '../../src/config/schema-checks.ts';
import type { StepContext } from '../../src/pipeline/pipeline-step.ts';
import { closedPort, loadTestConfig, makeTempDir, REDIS_URL } from './fixtures.ts';

interface App {
  server: Server;
  url: string;
  counters: TrafficCounters;
  failing: boolean;
}

/** A small app that counts its own responses by status class, like the proxy does per release. */
async function startApp(name: string): Promise<App> {
  const app = { counters: { requests: 0, byStatusClass: {} as Record<string, number> }, failing: false } as App;
  app.server = createServer((req, res) => {
    let status = 200;
    let body = `hello from ${name}`;
    if (req.url === '/orders' && req.headers['x-api-key'] !== 'k1') status = 401;
    else if (req.url === '/fail' || app.failing) status = 503;
    else if (req.url === '/whoami') body = `host=${req.headers.host}`;
    app.counters.requests++;
    const cls = `${Math.floor(status / 100)}xx`;
    app.counters.byStatusClass[cls] = (app.counters.byStatusClass[cls] ?? 0) + 1;
    res.statusCode = status;
    res.end(body);
  });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  app.url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return app;
}

async function hit(url: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await (await fetch(url)).text();
}

function context(loaded: LoadedConfig): StepContext {
  return { loaded, deploymentId: 'd1', release: 'green', previousRelease: 'blue', log: () => {}, signal: new AbortController().signal };
}

const rateConfig: ErrorRateConfig = { windowMs: 1000, maxErrorRate: 0.05, minRequests: 10, onInconclusive: 'fail' };

describe('computeErrorRate', () => {
  const at = (requests: number, fivexx: number): TrafficCounters => ({
    requests,
    byStatusClass: { '2xx': requests - fivexx, '5xx': fivexx },
  });

  test('rate between two snapshots against the threshold', () => {
    const ok = computeErrorRate(at(100, 1), at(300, 3), rateConfig);
    assert.deepEqual([ok.outcome, ok.measured], ['pass', { requests: 200, errors: 2, rate: 0.01, windowMs: 1000 }]);
    assert.equal(ok.message, '2 of 200 responses were 5xx in 1s (1%)');
    const bad = computeErrorRate(at(100, 1), at(200, 21), rateConfig);
    assert.equal(bad.outcome, 'fail');
    assert.equal(bad.message, '20 of 100 responses were 5xx in 1s (20%), above 5%');
  });

  test('too few requests or counters going backwards are inconclusive: fail by default, skipped when configured', () => {
    const quiet = computeErrorRate(at(100, 0), at(103, 0), rateConfig);
    assert.deepEqual([quiet.outcome, quiet.inconclusive], ['fail', true]);
    assert.match(quiet.message, /^inconclusive: only 3 requests in 1s \(need 10/);
    const skipped = computeErrorRate(at(100, 0), at(100, 0), { ...rateConfig, onInconclusive: 'skip' });
    assert.deepEqual([skipped.outcome, skipped.inconclusive], ['skipped', true]);
    const reset = computeErrorRate(at(500, 5), at(20, 0), rateConfig);
    assert.match(reset.message, /went backwards/);
    assert.equal(reset.outcome, 'fail');
  });

  test('urls join without doubled slashes', () => {
    assert.equal(joinUrl('http://h:1/', '/up'), 'http://h:1/up');
    assert.equal(joinUrl('http://h:1/api', '/up'), 'http://h:1/api/up');
  });
});

describe('runValidation against real local servers', () => {
  let temp: { dir: string; remove(): Promise<void> };
  let proxy: App;
  let instances: App[];
  before(async () => {
    temp = await makeTempDir('cutover-validation');
    proxy = await startApp('proxy');
    instances = [await startApp('i1'), await startApp('i2')];
  });
  after(async () => {
    for (const app of [proxy, ...(instances ?? [])]) {
      if (!app) continue;
      app.server.closeAllConnections();
      await new Promise((resolve) => app.server.close(resolve));
    }
    await temp?.remove();
  });

  test('HTTP checks through the proxy and on each instance: method, headers, status, body; dependencies too', async () => {
    const loaded = await loadTestConfig(temp.dir, {
      validation: {
        http: [
          { path: '/health', bodyIncludes: 'hello' },
          { name: 'orders', path: '/orders', headers: { 'x-api-key': 'k1' }, via: 'instances' },
          { name: 'vhost', path: '/whoami', headers: { host: 'shop.example.com' }, via: 'proxy', bodyIncludes: 'host=shop.example.com' },
          { name: 'post', method: 'POST', path: '/echo', body: '{}', expectStatus: [200, 201], via: 'proxy' },
        ],
        dependencies: [{ kind: 'redis', url: REDIS_URL }],
      },
    });
    const result = await runValidation(context(loaded), { proxyBaseUrl: proxy.url, instanceUrls: instances.map((i) => i.url) });
    const checks = result.values.checks as CheckResult[];
    assert.deepEqual(
      checks.map((c) => [c.name, c.outcome]),
      [
        ['GET /health@proxy', 'pass'],
        [`GET /health@${instances[0].url}`, 'pass'],
        [`GET /health@${instances[1].url}`, 'pass'],
        [`orders@${instances[0].url}`, 'pass'],
        [`orders@${instances[1].url}`, 'pass'],
        ['vhost@proxy', 'pass'],
        ['post@proxy', 'pass'],
        [`redis:${new URL(REDIS_URL).host}`, 'pass'],
      ],
    );
    assert.equal(result.outcome, 'ok');
  });

  test('one bad instance fails the step and is named; missing URLs fail rather than pass', async () => {
    const port = await closedPort();
    const loaded = await loadTestConfig(temp.dir, {
      validation: {
        http: [
          { path: '/health', via: 'instances', attempts: 2, retryDelayMs: 50 },
          { name: 'p', path: '/health', via: 'proxy' },
        ],
      },
    });
    const result = await runValidation(context(loaded), { instanceUrls: [instances[0].url, `http://127.0.0.1:${port}`] });
    assert.equal(result.outcome, 'failed');
    const failed = (result.values.checks as CheckResult[]).filter((c) => c.outcome === 'fail').map((c) => [c.name, c.message]);
    assert.equal(failed.length, 2);
    assert.match(failed[0][1], /connection refused .*\(after 2 attempts\)/);
    assert.deepEqual(failed[1], ['p@proxy', 'no proxy URL was passed to validation']);
  });

  test('error rate over a window, fed by real traffic counted by the servers', async () => {
    const loaded = await loadTestConfig(temp.dir, { validation: { errorRate: { windowMs: '2s', maxErrorRate: 0.05, minRequests: 10 } } });
    const counters = () => structuredClone(instances[1].counters);

    const healthyTraffic = hit(`${instances[1].url}/health`, 40);
    const healthy = await runValidation(context(loaded), { counters });
    await healthyTraffic;
    const rate = (healthy.values.checks as CheckResult[])[0];
    assert.equal(rate.kind, 'error-rate');
    assert.equal(healthy.outcome, 'ok', rate.message);
    assert.ok((rate.measured as { requests: number }).requests >= 10);

    const badTraffic = (async () => {
      for (let i = 0; i < 20; i++) {
        await hit(`${instances[1].url}/health`, 1);
        await hit(`${instances[1].url}/fail`, 1);
      }
    })();
    const bad = await runValidation(context(loaded), { counters });
    await badTraffic;
    assert.equal(bad.outcome, 'failed');
    assert.match(bad.reason ?? '', /error-rate \(\d+ of \d+ responses were 5xx/);

    const quiet = await runValidation(context(loaded), { counters });
    assert.equal(quiet.outcome, 'failed', 'no traffic never passes silently');
    assert.match(quiet.reason ?? '', /inconclusive: only 0 requests/);
  });
});
