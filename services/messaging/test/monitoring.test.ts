// The Grafana dashboard and the Prometheus alerts parse, hold the deployment guide's panels and
// alerts, and only query metrics that the running services really export (a real /metrics
// scrape of the api and the consumer after traffic, a dead letter included). The same holds for
// the Prometheus-free gates of cutover.yml's canary.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promqlMetricNames } from '@cutover/service-kit/testing';
import { parse } from 'yaml';
import { httpJson, messageBody } from './support/http-json.ts';
import { type RunningApi, type RunningConsumer, startApi, startConsumer } from './support/in-process.ts';
import { messagingEnv } from './support/messaging-env.ts';
import { SERVICE_DIR } from './support/paths.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';
import { waitFor } from './support/wait-for.ts';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}

const rules: Rule[] = parse(readFileSync(`${SERVICE_DIR}monitoring/prometheus/messaging-queue-alerts.yml`, 'utf8')).groups.flatMap(
  (g: { rules: Rule[] }) => g.rules,
);
const dashboard = JSON.parse(readFileSync(`${SERVICE_DIR}monitoring/grafana/messaging-queue-dashboard.json`, 'utf8'));
const dashboardExprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));

/** Metric families of a text exposition: name → type. */
function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(match[1], match[2]);
  return out;
}

/** True when `name` is a series of one of the families (histogram names carry _bucket/_sum/_count). */
function exported(name: string, known: Map<string, string>): boolean {
  if (known.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && (known.get(base) === 'histogram' || known.get(base) === 'summary');
}

describe('monitoring: the guide panels and alerts, on metrics the service exports', () => {
  test('the three alerts of the guide, with their thresholds, durations and severities', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    const expect = [
      ['QueuePartitionLagHigh', /stream_partition_lag\)? > 1000$/, '5m', 'warning'],
      ['QueueDLQRateHigh', /rate\(stream_dead_letter_total\[5m\]\)\)? > 10$/, '5m', 'critical'],
      ['ConsumerProcessingErrors', /rate\(stream_consumer_processed_total\{status="error"\}\[5m\]\)\)? > 1$/, '5m', 'warning'],
    ] as const;
    for (const [name, expr, duration, severity] of expect) {
      const rule = byName.get(name);
      assert.ok(rule, `alert ${name}`);
      assert.match(rule.expr, expr);
      assert.equal(rule.for, duration);
      assert.equal(rule.labels.severity, severity);
      assert.ok(rule.annotations.summary.length > 0);
    }
  });

  test('the dashboard has the guide panels, each with a query, on the Prometheus data source input', () => {
    const titles = dashboard.panels.map((p: { title: string }) => p.title);
    for (const title of ['Enqueue Rate', 'Dequeue Rate', 'Partition Lag', 'Processing Duration', 'DLQ Rate', 'Idempotent Hit Rate'])
      assert.ok(titles.includes(title), `panel ${title}`);
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, panel.title);
      assert.equal(panel.datasource.uid, `\${DS_PROMETHEUS}`);
    }
    assert.equal(dashboard.__inputs[0].name, 'DS_PROMETHEUS');
    assert.ok(dashboardExprs.some((e) => e.includes('histogram_quantile(0.95')));
  });

  test('the PromQL name extractor finds metrics, not functions, labels or grouping', () => {
    assert.deepEqual(promqlMetricNames('histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="y",le!="1"}[5m])))'), ['a_bucket']);
    assert.deepEqual(promqlMetricNames('sum(rate(a_total[1m])) / (sum(rate(b_total{s="error"}[1m])) + max without (p) (c))'), [
      'a_total',
      'b_total',
      'c',
    ]);
    assert.deepEqual(promqlMetricNames('max by (partition) (stream_partition_lag) > 1000'), ['stream_partition_lag']);
  });

  describe('against a real scrape', () => {
    let db: TestDatabase;
    let redis: RedisPrefix;
    let api: RunningApi;
    let consumer: RunningConsumer;
    let known: Map<string, string>;
    let scrape: string;

    before(async () => {
      db = await createMigratedDatabase('monitoring');
      redis = redisPrefix('monitoring');
      const env = messagingEnv(db.url, redis.prefix, {
        CUTOVER_RELEASE: 'v-monitoring',
        STREAM_MAX_RETRIES: '1',
        STREAM_HANDLER_TIMEOUT_MS: '200',
        STREAM_CLAIM_MIN_IDLE_MS: '300',
        STREAM_RECLAIM_INTERVAL_MS: '100',
      });
      api = await startApi(env);
      consumer = await startConsumer(env);
      const sent = await httpJson('POST', `${api.url}/api/messages`, messageBody());
      await httpJson('POST', `${api.url}/api/messages`, messageBody());
      await redis.redis.xadd(`${redis.prefix}msg:stream:1`, '*', 'm1', 'garbage');
      await waitFor('persisted and dead-lettered', async () => {
        const message = await httpJson('GET', `${api.url}/api/messages/${sent.body.messageId}`);
        const letters = await httpJson('GET', `${api.url}/api/dead-letters`);
        return message.body.state === 'persisted' && letters.body.total === 1 ? true : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // one more lag sample
      scrape = (await Promise.all([api.url, consumer.url].map(async (url) => (await fetch(`${url}/metrics`)).text()))).join('\n');
      known = families(scrape);
    });
    after(async () => {
      await consumer?.stop();
      await api?.stop();
      await db?.drop();
      await redis?.cleanup();
    });

    test('every metric named by an alert or a panel is exported', () => {
      const names = new Set([...rules.flatMap((r) => promqlMetricNames(r.expr)), ...dashboardExprs.flatMap(promqlMetricNames)]);
      assert.ok(names.size >= 8, [...names].join(', '));
      const missing = [...names].filter((name) => !exported(name, known));
      assert.deepEqual(missing, [], `exported: ${[...known.keys()].join(', ')}`);
    });

    test('the guide metrics carry samples, with the labels the queries select on', () => {
      for (const series of [
        /^stream_enqueue_total\{[^}]*partition="\d+"[^}]*\} [1-9]\d*$/m,
        /^stream_consumer_processed_total\{[^}]*status="persisted"[^}]*\} 1$/m,
        /^stream_consumer_processed_total\{[^}]*status="error"[^}]*\} 1$/m,
        /^idempotency_hit_total\{[^}]*operation="ingress"[^}]*\} 1$/m,
        /^stream_partition_lag\{[^}]*partition="15"[^}]*\} 0$/m,
        /^stream_dead_letter_total\{[^}]*partition="1"[^}]*\} 1$/m,
        /^stream_processing_duration_seconds_bucket\{[^}]*mode="write"[^}]*\} \d+$/m,
      ])
        assert.match(scrape, series);
      // The release label lets a canary analysis compare releases (cutover sets CUTOVER_RELEASE).
      assert.match(scrape, /^stream_enqueue_total\{[^}]*release="v-monitoring"/m);
    });

    test("cutover.yml's canary gates read fields the queue status really returns", async () => {
      const config = parse(readFileSync(`${SERVICE_DIR}cutover.yml`, 'utf8'));
      const status = await httpJson('GET', `${api.url}/api/queue/status`);
      const metrics = [
        ...config.rollout.steps.flatMap((s: { analysis?: { metrics: unknown[] } }) => s.analysis?.metrics ?? []),
        ...config.rollout.backgroundAnalysis.metrics,
      ] as { provider: { kind: string; url?: string; jsonPath?: string } }[];
      const http = metrics.filter((m) => m.provider.kind === 'http');
      assert.ok(http.length >= 2);
      for (const { provider } of http) {
        assert.match(provider.url ?? '', /\/api\/queue\/status$/);
        const field = (provider.jsonPath ?? '').replace(/^\$\./, '');
        assert.equal(
          typeof status.body[field],
          'number',
          `${provider.jsonPath} is a number in ${JSON.stringify(Object.keys(status.body))}`,
        );
      }
      assert.deepEqual(
        config.rollout.steps
          .filter((s: { setWeight?: number }) => s.setWeight !== undefined)
          .map((s: { setWeight: number }) => s.setWeight),
        [10, 50],
      );
    });
  });
});
