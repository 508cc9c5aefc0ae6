// The guide's operational surface: the readiness body, /metrics, and the feature flags as switches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { complianceEnv, tokenFor } from './support/compliance-env.ts';
import { api, venueBody } from './support/http-json.ts';
import { type RunningCompliance, startCompliance } from './support/in-process.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

describe('health, metrics and feature flags', () => {
  let db: TestDatabase;
  const running: RunningCompliance[] = [];
  const start = async (flags: Record<string, string>) => {
    const svc = await startCompliance(complianceEnv(db.url, flags));
    running.push(svc);
    return svc;
  };

  before(async () => {
    db = await createMigratedDatabase('operations');
  });
  after(async () => {
    for (const svc of running) await svc.stop();
    await db?.drop();
  });

  test('/health/ready answers the guide body; /health/live touches nothing; DETAILED_HEALTH_CHECKS=false drops the components', async () => {
    const svc = await start({ CUTOVER_RELEASE: 'v7' });
    const ready = await api(`${svc.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(Object.keys(ready.body), ['status', 'timestamp', 'version', 'uptime', 'components']);
    // The busy test machine may push the cpu component to a warning; the dependencies must be healthy.
    assert.match(ready.body.status, /^(healthy|degraded)$/);
    assert.equal(ready.body.version, '1.0.0+v7');
    assert.deepEqual(Object.keys(ready.body.components).sort(), ['cpu', 'database', 'memory', 'redis']);
    assert.equal(ready.body.components.database.status, 'healthy');
    assert.equal(ready.body.components.redis.status, 'healthy');
    assert.match(ready.body.components.database.latency, /^\d+ms$/);
    assert.match(ready.body.components.redis.latency, /^\d+ms$/);
    assert.match(ready.body.components.memory.used, /^\d+%$/);
    assert.match(ready.body.components.cpu.load, /^\d+(\.\d+)?$/);
    const live = await api(`${svc.url}/health/live`);
    assert.equal(live.status, 200);
    assert.equal(live.body.status, 'pass');

    const plain = await start({ DETAILED_HEALTH_CHECKS: 'false' });
    const body = (await api(`${plain.url}/health/ready`)).body;
    assert.deepEqual(Object.keys(body), ['status', 'timestamp', 'version', 'uptime']);
  });

  test('/metrics: request metrics by route, the pool size, Redis errors and the error rate; METRICS_ENDPOINT=false turns it off', async () => {
    const svc = await start({});
    const token = await tokenFor('metrics-owner', ['venue']);
    assert.equal((await api(`${svc.url}/venues`, { token, body: venueBody() })).status, 201);
    const text = (await api(`${svc.url}/metrics`)).text;
    assert.match(text, /http_requests_total\{method="POST",route="\/venues",status_code="201",service="compliance"\} 1/);
    assert.match(text, /http_request_duration_seconds_bucket\{[^}]*le="0\.5"[^}]*route="\/venues"/);
    assert.match(text, /database_connection_pool_size\{state="max",service="compliance"\} 10/);
    assert.match(text, /redis_connection_errors\{service="compliance"\} 0/);
    assert.match(text, /http_error_rate\{service="compliance"\} 0/);
    assert.match(text, /sanctions_screening_duration_seconds_count\{service="compliance"\} 1/);

    const off = await start({ METRICS_ENDPOINT: 'false' });
    assert.equal((await api(`${off.url}/metrics`)).status, 404);
  });

  test('LOAD_SHEDDING: a blocked event loop answers 503 with Retry-After; off, it never does', async () => {
    const token = await tokenFor('shed-owner', ['venue']);
    // Blocks this process's event loop (the service runs in it) for longer than a sampling
    // interval, then asks at once: the shedder's late timer has seen the block.
    const afterBlock = async (url: string) => {
      const until = Date.now() + 800;
      while (Date.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return api(`${url}/venues/00000000-0000-0000-0000-000000000000`, { token });
    };
    const shedding = await start({ LOAD_SHEDDING: 'true', SHED_MAX_EVENT_LOOP_DELAY_MS: '100' });
    let shed = await afterBlock(shedding.url);
    for (let attempt = 0; attempt < 4 && shed.status !== 503; attempt++) shed = await afterBlock(shedding.url);
    assert.equal(shed.status, 503, shed.text);
    assert.equal(shed.headers.get('retry-after'), '10');
    assert.match((await api(`${shedding.url}/metrics`)).text, /http_requests_shed_total\{reason="eventLoopDelay"[^}]*\} [1-9]/);

    const off = await start({ LOAD_SHEDDING: 'false' });
    for (let attempt = 0; attempt < 2; attempt++) assert.equal((await afterBlock(off.url)).status, 404, 'never shed with the flag off');
  });

  test('BULKHEAD_PATTERN: a bulkhead per downstream, its rejections a 503 with Retry-After', async () => {
    const svc = await start({ BULKHEAD_PATTERN: 'true' });
    const downstreams = svc.context.downstreams;
    assert.equal(downstreams.enabled, true);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holders = Array.from({ length: 4 + 8 }, () => downstreams.run('documents', () => held));
    const rejected = await downstreams.run('documents', async () => 'ran');
    assert.deepEqual(rejected, { ok: false, reason: 'full', bulkhead: 'documents' });
    assert.deepEqual(await downstreams.run('postgres', async () => 'ran'), { ok: true, value: 'ran' }, 'another downstream is unaffected');
    release();
    await Promise.all(holders);
    const text = (await api(`${svc.url}/metrics`)).text;
    assert.match(text, /bulkhead_rejections_total\{bulkhead="documents",reason="full",service="compliance"\} 1/);

    const off = await start({});
    assert.equal(off.context.downstreams.enabled, false);
  });
});
