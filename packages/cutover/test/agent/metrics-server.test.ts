import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent } from '../../src/agent/agent.ts';
import { startUpstream } from './proxy/proxy-test-kit.ts';

const PORT_RANGE = await reservePortRange();

test('the agent serves its proxy counters on 127.0.0.1:metricsPort/metrics, labelled by service and release', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-metrics-'));
  const agent = new Agent({
    dataDir,
    httpPort: 0,
    listenHost: '127.0.0.1',
    portRange: PORT_RANGE,
    logMaxBytes: 1024 * 1024,
    logKeepFiles: 1,
    metricsPort: 0,
  });
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const address = await agent.start();
  t.after(() => agent.stop({ stopInstances: true }));
  assert.ok(address.metricsPort && address.metricsPort > 0);
  const app = await startUpstream(t, 'app');
  agent.proxy.setRoute({ service: 'shop', hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 1000, websocketGraceMs: 100 });
  agent.proxy.addTarget('shop', { id: 'a', release: 'v7', host: '127.0.0.1', port: app.port });
  for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${address.httpPort}/`)).text();

  const response = await fetch(`http://127.0.0.1:${address.metricsPort}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const body = await response.text();
  assert.match(body, /^cutover_proxy_requests_total\{service="shop",release="v7",code="2xx"\} 3$/m);
  assert.match(body, /^cutover_proxy_request_duration_seconds_count\{service="shop",release="v7"\} 3$/m);
  assert.match(body, /^cutover_proxy_targets\{service="shop",release="v7",state="serving"\} 1$/m);
  assert.equal((await fetch(`http://127.0.0.1:${address.metricsPort}/other`)).status, 404);
});

test('instances for Prometheus: up, restarts, start time, and the HTTP service discovery of their ports', async () => {
  const { instanceText, instanceTargets } = await import('../../src/agent/metrics-server.ts');
  const spec = (id: string, release: string) =>
    ({ id, service: 'shop', release, processType: 'web' }) as unknown as import('../../src/agent/supervisor/instance-spec.ts').InstanceSpec;
  const instances = [
    { spec: spec('v1.web.1', 'v1'), port: 31001, pid: 10, state: 'healthy', restarts: 0, startedAt: 1_000_000 },
    { spec: spec('v2.web.1', 'v2'), port: 31002, pid: 11, state: 'unhealthy', restarts: 3, startedAt: 2_000_000 },
    { spec: spec('v2.web.2', 'v2'), port: null, pid: null, state: 'failed', restarts: 5, startedAt: 2_000_000 },
  ] as unknown as import('../../src/agent/supervisor/instance-spec.ts').InstanceInfo[];
  const text = instanceText(instances);
  assert.match(text, /^cutover_instance_up\{service="shop",release="v1",process_type="web",instance_id="v1.web.1",state="healthy"\} 1$/m);
  assert.match(text, /^cutover_instance_up\{service="shop",release="v2",process_type="web",instance_id="v2.web.1",state="unhealthy"\} 0$/m);
  assert.match(text, /^cutover_instance_restarts_total\{service="shop",release="v2",process_type="web",instance_id="v2.web.2"\} 5$/m);
  assert.match(
    text,
    /^cutover_instance_start_time_seconds\{service="shop",release="v1",process_type="web",instance_id="v1.web.1"\} 1000$/m,
  );
  assert.deepEqual(instanceTargets(instances, 'shop'), [
    { targets: ['127.0.0.1:31001'], labels: { service: 'shop', release: 'v1', process_type: 'web', instance_id: 'v1.web.1' } },
    { targets: ['127.0.0.1:31002'], labels: { service: 'shop', release: 'v2', process_type: 'web', instance_id: 'v2.web.1' } },
  ]);
  assert.deepEqual(instanceTargets(instances, 'other'), []);
});
