/**
 * Application latency while a migration waits behind a long-running transaction.
 *
 * A "report" transaction holds ACCESS SHARE on app_items for HOLD_MS. Half a second in, a migration
 * runs `ALTER TABLE app_items ADD COLUMN ... DEFAULT 0`, which needs ACCESS EXCLUSIVE and so queues
 * behind the report; every later SELECT on app_items queues behind the ALTER. Meanwhile the
 * application issues a point SELECT on app_items every INTERVAL_MS through a pool (open loop, so a
 * stall shows up in every query issued during it, as users would feel it). Compared, in one run:
 *   - cutover's runner with its defaults (lock_timeout 2s, retries with backoff and jitter),
 *   - cutover's runner with lock_timeout 500ms,
 *   - node-pg-migrate's runner (no lock_timeout), on the same SQL file.
 * Run: node bench/migrate-lock.bench.ts   (PostgreSQL on 127.0.0.1:5432; BENCH_PG_URL overrides)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runner as nodePgMigrate } from 'node-pg-migrate';
import pg from 'pg';
import { DEFAULT_MIGRATION_LOCK_TIMEOUT_MS } from '../packages/cutover/src/config/schema-migrations.ts';
import { runMigrationsUp } from '../packages/cutover/src/database/migrations/migration-runner.ts';
import { defaultAppliedBy } from '../packages/cutover/src/database/migrations/migration-settings.ts';

const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOLD_MS = 6_000;
const MIGRATION_START_MS = 500;
const WINDOW_MS = 9_000;
/** Open-loop load: one query every INTERVAL_MS whatever happens, latency counted from its scheduled start. */
const INTERVAL_MS = 10;
const POOL_SIZE = 20;
const ROWS = 50_000;

interface ScenarioResult {
  name: string;
  queries: number;
  p50: number;
  p99: number;
  max: number;
  /** Queries slower than 100ms. */
  stalled: number;
  migrationMs: number;
  lockTimeouts: number;
}

const dbName = `bench_migrate_lock_${process.pid}`;
const url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function scenario(name: string, migrate: (dir: string) => Promise<number>): Promise<ScenarioResult> {
  await sql('drop schema if exists cutover cascade; drop table if exists pgmigrations; alter table app_items drop column if exists flag');
  await sql('vacuum analyze app_items');
  const root = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
  const dir = join(root, 'migrations');
  mkdirSync(dir);
  writeFileSync(
    join(dir, '0001_add_flag.sql'),
    '-- Up Migration\n-- migrate:up\nalter table app_items add column flag integer default 0;\n-- Down Migration\n-- migrate:down\nalter table app_items drop column flag;\n',
  );
  const report = new pg.Client({ connectionString: url, application_name: 'long-report' });
  await report.connect();
  const pool = new pg.Pool({ connectionString: url, application_name: 'app', max: POOL_SIZE });
  await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.query('select 1')));
  const latencies: number[] = [];
  const started = performance.now();
  await report.query('begin');
  await report.query('select count(*) from app_items');
  const commitTimer = setTimeout(() => report.query('commit').catch(() => {}), HOLD_MS);
  const load = (async () => {
    const inFlight: Promise<void>[] = [];
    for (let scheduled = started; scheduled - started < WINDOW_MS; scheduled += INTERVAL_MS) {
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = scheduled;
      inFlight.push(
        pool.query('select v from app_items where id = $1', [1 + Math.floor(Math.random() * ROWS)]).then(() => {
          latencies.push(performance.now() - t0);
        }),
      );
    }
    await Promise.all(inFlight);
  })();
  await new Promise((r) => setTimeout(r, MIGRATION_START_MS));
  const m0 = performance.now();
  const lockTimeouts = await migrate(dir);
  const migrationMs = performance.now() - m0;
  await load;
  clearTimeout(commitTimer);
  await report.query('commit').catch(() => {});
  await Promise.all([report.end(), pool.end()]);
  rmSync(root, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    name,
    queries: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    stalled: latencies.filter((l) => l > 100).length,
    migrationMs,
    lockTimeouts,
  };
}

function cutover(lockTimeoutMs: number) {
  return async (dir: string) => {
    const result = await runMigrationsUp({
      databaseUrl: url,
      directory: dir,
      lockTimeoutMs,
      statementTimeoutMs: 600_000,
      lockWaitMs: 30_000,
      lockRetries: 8,
      retryBaseMs: 1_000,
      retryMaxMs: 15_000,
      lintRules: {},
      appliedBy: defaultAppliedBy(),
    });
    if (result.outcome !== 'applied')
      throw new Error(`cutover run ended ${result.outcome}: ${JSON.stringify(result.failure ?? result.lintFindings)}`);
    return result.lockTimeouts.length;
  };
}

async function nodePgMigrateRun(dir: string): Promise<number> {
  await nodePgMigrate({ databaseUrl: url, dir, direction: 'up', migrationsTable: 'pgmigrations', log: () => {}, checkOrder: false });
  return 0;
}

async function main(): Promise<void> {
  await admin(`create database ${dbName}`);
  try {
    await sql(
      `create table app_items (id bigint primary key, v text); insert into app_items select g, md5(g::text) from generate_series(1, ${ROWS}) g`,
    );
    const results: ScenarioResult[] = [];
    results.push(await scenario('node-pg-migrate 9 (no lock_timeout)', nodePgMigrateRun));
    results.push(
      await scenario(
        `cutover (defaults: lock_timeout ${DEFAULT_MIGRATION_LOCK_TIMEOUT_MS}ms + retry)`,
        cutover(DEFAULT_MIGRATION_LOCK_TIMEOUT_MS),
      ),
    );
    results.push(await scenario('cutover (lock_timeout 500ms + retry)', cutover(500)));
    const base = results[0];
    const f = (n: number) => `${Math.round(n)}`.padStart(7);
    console.log(
      `\nApplication SELECTs on app_items (one every ${INTERVAL_MS}ms, open loop) while ALTER TABLE ... ADD COLUMN waits ${HOLD_MS}ms behind a transaction`,
    );
    console.log(
      `${'runner'.padEnd(50)} ${'queries'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'>100ms'.padStart(7)} ${'migr ms'.padStart(7)} ${'timeouts'.padStart(8)} ${'p99 vs npm'.padStart(10)} ${'max vs npm'.padStart(10)}`,
    );
    for (const r of results) {
      console.log(
        `${r.name.padEnd(50)} ${f(r.queries)} ${f(r.p50)} ${f(r.p99)} ${f(r.max)} ${f(r.stalled)} ${f(r.migrationMs)} ${String(r.lockTimeouts).padStart(8)} ${`${(base.p99 / r.p99).toFixed(1)}x`.padStart(10)} ${`${(base.max / r.max).toFixed(1)}x`.padStart(10)}`,
      );
    }
    console.log('"p99 vs npm" = node-pg-migrate p99 / this runner p99 (higher is better for the application).');
  } finally {
    await admin(`drop database if exists ${dbName} with (force)`);
  }
}

await main();
