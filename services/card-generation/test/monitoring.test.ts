// The four Grafana dashboards of the guide and the alert rules parse, and every metric they query
// is exported by the running processes (a real /metrics scrape of an api and a worker after sync
// cards, a bulk job, cache hits and a BIN listing). promtool, where installed, checks the rules
// file and lints the scrape.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { promqlMetricNames, waitFor } from '@cutover/service-kit/testing';
import { parse } from 'yaml';
import { cardEnv } from './support/card-env.ts';
import { getJson, type InProcessApi, type InProcessWorker, postJson, startApi, startWorker } from './support/in-process.ts';
import { SERVICE_DIR } from './support/paths.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

const run = promisify(execFile);
const GRAFANA_DIR = `${SERVICE_DIR}monitoring/grafana/`;
const RULES_FILE = `${SERVICE_DIR}monitoring/prometheus/card-generation-alerts.yml`;

interface Rule {
  alert: string;
  expr: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

const dashboards = readdirSync(GRAFANA_DIR).map((file) => ({ file, board: JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8')) }));
const rules: Rule[] = parse(readFileSync(RULES_FILE, 'utf8')).groups.flatMap((g: { rules: Rule[] }) => g.rules);
const exprs = [
  ...dashboards.flatMap(({ board }) => board.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr))),
  ...rules.map((r) => r.expr),
];

function hasPromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('monitoring: the guide dashboards and alerts, on metrics the service exports', () => {
  test("the guide's four dashboards: generation performance, uniqueness, cache, job queue", () => {
    assert.deepEqual(dashboards.map((d) => d.board.uid).sort(), [
      'card-generation-cache',
      'card-generation-job-queue',
      'card-generation-performance',
      'card-generation-uniqueness',
    ]);
    for (const { file, board } of dashboards) {
      assert.equal(board.__inputs[0].name, 'DS_PROMETHEUS', file);
      assert.ok(board.panels.length >= 4, file);
      for (const panel of board.panels) {
        assert.ok(panel.targets.length > 0 && panel.description, `${file}: ${panel.title}`);
        assert.equal(panel.datasource.uid, `\${DS_PROMETHEUS}`);
      }
    }
  });

  test('alert rules: uniqueness, capacity, latency, queue, chunk failures, cache; each with severity and help', () => {
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        'CardUniquenessViolation',
        'CardBinNearlyExhausted',
        'CardCreateLatencyHigh',
        'BulkQueueNotProcessing',
        'BulkChunksFailing',
        'CardCacheHitRateLow',
      ],
    );
    for (const rule of rules) {
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels.severity), rule.alert);
      assert.ok(rule.annotations.summary && rule.annotations.description, rule.alert);
    }
  });

  test('promtool accepts the rules file', { skip: !hasPromtool() && 'promtool not installed (apt-get install prometheus)' }, async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES_FILE]);
    assert.match(stdout, /SUCCESS: 6 rules found/);
  });

  describe('against a real scrape', () => {
    let db: TestDatabase;
    let redis: RedisPrefix;
    let api: InProcessApi;
    let worker: InProcessWorker;
    let scrape: string;

    before(async () => {
      db = await createMigratedDatabase('monitoring');
      redis = redisPrefix('monitoring');
      const env = cardEnv(db.url, redis.prefix, { BULK_CHUNK_SIZE: '500', CUTOVER_RELEASE: 'v-monitoring' });
      api = await startApi(env);
      worker = await startWorker(env);
      const card = (await postJson(`${api.url}/api/v1/cards`, { network: 'visa', count: 3 })).body.cards[0];
      for (let i = 0; i < 3; i++) await getJson(`${api.url}/api/v1/cards/${card.id}`);
      await getJson(`${api.url}/api/v1/bins`);
      const job = (await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'amex', count: 2_000 })).body.job;
      await waitFor(
        'the bulk job',
        async () => ((await getJson(`${api.url}/api/v1/jobs/${job.id}`)).body.job.state === 'completed' ? true : undefined),
        60_000,
        100,
      );
      // A uniqueness violation is never expected; make its series exist the way an operator would see one.
      api.metrics.uniquenessViolations.inc({ constraint: 'cards_pan_hash_key' }, 0);
      api.metrics.writeRetries.inc({ path: 'sync' }, 0);
      worker.metrics.bulkChunks.inc({ outcome: 'failed' }, 0);
      const workerUrl = `http://127.0.0.1:${(worker.service.app.server.address() as { port: number }).port}`;
      await waitFor(
        'a queue sample',
        async () => ((await (await fetch(`${workerUrl}/metrics`)).text()).includes('bulk_queue_jobs{') ? true : undefined),
        20_000,
        200,
      );
      scrape = (await Promise.all([api.url, workerUrl].map(async (url) => (await fetch(`${url}/metrics`)).text()))).join('\n');
    });
    after(async () => {
      await worker?.close();
      await api?.close();
      await db?.drop();
      await redis?.cleanup();
    });

    test('every metric of every dashboard panel and alert has series in the scrape', () => {
      const names = new Set(exprs.flatMap(promqlMetricNames));
      assert.ok(names.size >= 12, [...names].join(', '));
      for (const name of names)
        assert.match(scrape, new RegExp(`^${name}\\{[^}]*service="card-generation"`, 'm'), `${name} is exported with series`);
    });

    test('hit counts and release labels are in the scrape', () => {
      assert.match(scrape, /cache_requests_total\{[^}]*cache="card"[^}]*tier="local"[^}]*outcome="hit"[^}]*\} [1-9]/);
      assert.match(scrape, /cards_generated_total\{[^}]*network="amex"[^}]*path="bulk"[^}]*\} 2000/);
      assert.match(scrape, /release="v-monitoring"/);
    });

    test('promtool lints the scrape', { skip: !hasPromtool() && 'promtool not installed (apt-get install prometheus)' }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cg-scrape-'));
      try {
        const file = join(dir, 'api.prom');
        writeFileSync(file, await (await fetch(`${api.url}/metrics`)).text());
        const child = execFile('promtool', ['check', 'metrics']);
        const output = new Promise<{ code: number | null; text: string }>((resolve) => {
          let text = '';
          child.stdout?.on('data', (d) => (text += d));
          child.stderr?.on('data', (d) => (text += d));
          child.on('close', (code) => resolve({ code, text }));
        });
        child.stdin?.end(readFileSync(file));
        const { code, text } = await output;
        // Lint findings name the metric they are about: none may be about this service's own metrics.
        const ours = text.split('\n').filter((line) => /^(cards?_|card_|bulk_|cache_|websocket_)/.test(line));
        assert.deepEqual(ours, [], text);
        assert.doesNotMatch(text, /error while linting|text format parsing error/, text);
        assert.ok(code !== null && code <= 3, text);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
