import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from '../../src/agent/agent.ts';
import { startUpstream } from './proxy/proxy-test-kit.ts';

test('the agent serves its proxy counters on 127.0.0.1:metricsPort/metrics, labelled by service and release', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-metrics-'));
  const agent = new Agent({
    dataDir,
    httpPort: 0,
    listenHost: '127.0.0.1',
    portRange: [31000, 31999],
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
