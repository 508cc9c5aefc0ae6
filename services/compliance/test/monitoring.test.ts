// The guide's alerts and the Grafana dashboard parse, carry the guide's thresholds, and query only
// metrics a running instance really exports (a real /metrics scrape after traffic and a bulkhead
// rejection), besides Prometheus's own `up`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promqlMetricNames } from '@cutover/service-kit/testing';
import { parse } from 'yaml';
import { complianceEnv, tokenFor } from './support/compliance-env.ts';
import { api, venueBody } from './support/http-json.ts';
import { type RunningCompliance, startCompliance } from './support/in-process.ts';
import { SERVICE_DIR } from './support/paths.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
}

const rules: Rule[] = parse(readFileSync(`${SERVICE_DIR}monitoring/prometheus/compliance-alerts.yml`, 'utf8')).groups.flatMap(
  (g: { rules: Rule[] }) => g.rules,
);
const dashboard = JSON.parse(readFileSync(`${SERVICE_DIR}monitoring/grafana/compliance-dashboard.json`, 'utf8'));
const dashboardExprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
/** Series Prometheus makes itself. */
const SYNTHETIC = new Set(['up']);

function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(match[1], match[2]);
  return out;
}

function exported(name: string, known: Map<string, string>): boolean {
  if (known.has(name) || SYNTHETIC.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && known.get(base) === 'histogram';
}

describe('monitoring: the guide alerts and dashboard on metrics the service exports', () => {
  let db: TestDatabase;
  let svc: RunningCompliance;
  let scrape: string;

  before(async () => {
    db = await createMigratedDatabase('monitoring');
    svc = await startCompliance(complianceEnv(db.url, { BULKHEAD_PATTERN: 'true' }));
    const token = await tokenFor('monitor-owner', ['venue']);
    assert.equal((await api(`${svc.url}/venues`, { token, body: venueBody() })).status, 201);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holders = Array.from({ length: 12 }, () => svc.context.downstreams.run('documents', () => held));
    await svc.context.downstreams.run('documents', async () => undefined);
    release();
    await Promise.all(holders);
    scrape = (await api(`${svc.url}/metrics`)).text;
  });
  after(async () => {
    await svc?.stop();
    await db?.drop();
  });

  test("the guide's alerts: critical and warning, with its thresholds", () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    const expected: [string, RegExp, string][] = [
      ['ComplianceServiceDown', /up\{job="compliance"\}\) == 0$/, 'critical'],
      ['ComplianceErrorRateCritical', /> 0\.05$/, 'critical'],
      ['ComplianceDatabaseConnectionFailures', /database_connection_errors_total.*> 0$/, 'critical'],
      ['ComplianceRedisConnectionErrors', /redis_connection_errors.*> 0$/, 'critical'],
      ['ComplianceLatencyP99High', /histogram_quantile\(0\.99, .*http_request_duration_seconds_bucket.*> 0\.5$/, 'warning'],
      ['ComplianceErrorRateHigh', /> 0\.01$/, 'warning'],
      ['ComplianceMemoryHigh', /memory_usage_ratio.*> 0\.85$/, 'warning'],
      ['ComplianceDatabasePoolNearlyFull', /> 0\.9$/, 'warning'],
      ['ComplianceRestartsHigh', /changes\(process_start_time_seconds.*\[10m\]\)\) > 3$/, 'warning'],
    ];
    assert.deepEqual([...byName.keys()].sort(), expected.map(([name]) => name).sort());
    for (const [name, expr, severity] of expected) {
      assert.match(byName.get(name)!.expr, expr, name);
      assert.equal(byName.get(name)!.labels.severity, severity, name);
    }
  });

  test('every metric an alert or a panel reads is in a real scrape', () => {
    const known = families(scrape);
    const read = new Set([...rules.map((r) => r.expr), ...dashboardExprs].flatMap(promqlMetricNames));
    assert.ok(read.size >= 10, [...read].join(', '));
    const missing = [...read].filter((name) => !exported(name, known));
    assert.deepEqual(missing, [], `exported: ${[...known.keys()].join(', ')}`);
  });

  test('the dashboard: unique ids, a query per panel, the guide metrics on it', () => {
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const all = dashboardExprs.join('\n');
    for (const name of [
      'http_request_duration_seconds_bucket',
      'http_requests_total',
      'database_connection_pool_size',
      'redis_connection_errors',
    ])
      assert.ok(all.includes(name), name);
  });
});
