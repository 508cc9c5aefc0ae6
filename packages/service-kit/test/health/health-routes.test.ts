import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createService, HEALTH_CONTENT_TYPE, HEALTH_ROUTES, type HealthBody, type Service } from '../../src/index.ts';
import { captureLines } from '../helpers/capture-lines.ts';

describe('health routes over real HTTP', () => {
  let service: Service;
  let base: string;
  let dbUp = true;
  let checkRuns = 0;

  before(async () => {
    service = createService({
      name: 'health-test',
      version: '3',
      logDestination: captureLines(),
      defaultMetrics: false,
      readinessCacheTtlMs: 0,
      shutdown: { handleSignals: false, delayMs: 0 },
      readinessChecks: [
        {
          name: 'postgres',
          componentType: 'datastore',
          check: () => {
            checkRuns++;
            return dbUp;
          },
        },
      ],
    });
    ({ url: base } = await service.start());
  });
  after(async () => {
    await service.stop('test end');
  });

  const get = async (path: string) => {
    const response = await fetch(base + path, { signal: AbortSignal.timeout(5_000) });
    return {
      status: response.status,
      type: response.headers.get('content-type')?.split(';')[0],
      body: (await response.json()) as HealthBody,
    };
  };

  test('every path and alias answers in application/health+json with its probe', async () => {
    for (const [path, kind] of Object.entries(HEALTH_ROUTES)) {
      const response = await get(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.type, HEALTH_CONTENT_TYPE, path);
      assert.equal(response.body.status, 'pass', path);
      assert.equal(response.body.serviceId, 'health-test');
      assert.equal(response.body.version, '3');
      const hasDependency = 'postgres:responseTime' in response.body.checks;
      assert.equal(hasDependency, kind === 'ready', `${path} is ${kind}`);
    }
  });

  test('/health and /health/check are readiness; /health/liveness is liveness', async () => {
    assert.equal(HEALTH_ROUTES['/health'], 'ready');
    assert.equal(HEALTH_ROUTES['/health/check'], 'ready');
    assert.equal(HEALTH_ROUTES['/health/readiness'], 'ready');
    assert.equal(HEALTH_ROUTES['/health/liveness'], 'live');
  });

  test('a failing dependency makes readiness 503 while liveness stays 200 and never runs checks', async () => {
    dbUp = false;
    try {
      const ready = await get('/health/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'fail');
      assert.equal(ready.body.checks['postgres:responseTime'][0].status, 'fail');
      assert.equal(typeof ready.body.checks['postgres:responseTime'][0].observedValue, 'number');
      assert.equal((await get('/health')).status, 503);
      const runsBefore = checkRuns;
      const live = await get('/health/live');
      assert.equal(live.status, 200);
      assert.equal(checkRuns, runsBefore, 'liveness must not touch dependencies');
    } finally {
      dbUp = true;
    }
    assert.equal((await get('/health/ready')).status, 200);
  });
});

describe('readiness check time limits and warnings', () => {
  test('a hung check fails at its timeout, a slow non-critical one warns, and the probe stays bounded', async () => {
    const service = createService({
      name: 'timeouts',
      logDestination: captureLines(),
      defaultMetrics: false,
      readinessCacheTtlMs: 0,
      shutdown: { handleSignals: false, delayMs: 0 },
      readinessChecks: [
        {
          name: 'hung',
          timeoutMs: 200,
          check: (signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        },
        {
          name: 'slowish',
          critical: false,
          warnAboveMs: 1,
          check: () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30)),
        },
        { name: 'throws', critical: false, check: () => Promise.reject(new Error('connection refused')) },
      ],
    });
    const { url } = await service.start();
    try {
      const startedAt = performance.now();
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
      const elapsedMs = performance.now() - startedAt;
      const body = (await response.json()) as HealthBody;
      assert.equal(response.status, 503);
      assert.ok(elapsedMs < 3_000, `probe took ${elapsedMs} ms despite a 200 ms check timeout`);
      assert.equal(body.checks['hung:responseTime'][0].output, 'timed out after 200 ms');
      assert.equal(body.checks['slowish:responseTime'][0].status, 'warn');
      assert.equal(body.checks['throws:responseTime'][0].status, 'fail');
      assert.equal(body.checks['throws:responseTime'][0].output, 'connection refused');
    } finally {
      await service.stop();
    }
  });

  test('readiness fails while starting and after stop() begins', async () => {
    const service = createService({
      name: 'phases',
      logDestination: captureLines(),
      defaultMetrics: false,
      shutdown: { handleSignals: false, delayMs: 300, gracePeriodMs: 5_000 },
    });
    const starting = await service.app.inject({ url: '/health/ready' });
    assert.equal(starting.statusCode, 503);
    assert.equal((await service.app.inject({ url: '/health/startup' })).statusCode, 503);
    const { url } = await service.start();
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);
    const stopping = service.stop('test');
    const draining = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(draining.status, 503);
    assert.equal(((await draining.json()) as HealthBody).output, 'service is shutting down');
    assert.equal((await fetch(`${url}/health/live`)).status, 200);
    await stopping;
    assert.equal(service.lifecycle.state, 'stopped');
  });
});
