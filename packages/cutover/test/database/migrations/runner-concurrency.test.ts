import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { MIGRATION_LOCK_KEY } from '../../../src/database/migrations/advisory-lock.ts';
import { runMigrationsUp } from '../../../src/database/migrations/migration-runner.ts';
import { createMigrationsDir, createTestDatabase, type TestDatabase, testSettings, waitFor } from './test-database.ts';

const CLI = new URL('../../../bin/cutover.js', import.meta.url).pathname;

let db: TestDatabase;
let dirs: ReturnType<typeof createMigrationsDir>;
const children = new Set<ChildProcess>();

before(async () => {
  db = await createTestDatabase('cutover_concurrency');
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  dirs?.cleanup();
  await db.drop();
});
beforeEach(async () => {
  dirs?.cleanup();
  dirs = createMigrationsDir();
  await db.query('drop schema if exists cutover cascade; drop schema public cascade; create schema public');
});

async function migrationLockHeld(): Promise<boolean> {
  const rows = await db.query(
    `select 1 from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1::bigint and database = (select oid from pg_database where datname = current_database())`,
    [MIGRATION_LOCK_KEY],
  );
  return rows.length > 0;
}

describe('mutual exclusion', () => {
  test('two runners at once: one applies, the other waits and then finds nothing to do', async () => {
    dirs.write('0001_slow.sql', '-- migrate:up\ncreate table slow (id bigint primary key);\nselect pg_sleep(1.5);\n');
    const settings = testSettings(db.url, dirs.dir, { lockWaitMs: 15_000 });
    const [a, b] = await Promise.all([runMigrationsUp(settings), runMigrationsUp(settings)]);
    const outcomes = [a.outcome, b.outcome].sort();
    assert.deepEqual(outcomes, ['applied', 'up-to-date']);
    const waiter = a.outcome === 'up-to-date' ? a : b;
    assert.ok(waiter.lockWaitedMs >= 500, `the second runner waited ${waiter.lockWaitedMs}ms`);
    assert.equal((await db.query('select count(*)::int as n from cutover.migrations'))[0].n, 1);
  });

  test('with a short lock wait the second runner reports the holder and applies nothing', async () => {
    dirs.write('0001_slow.sql', '-- migrate:up\ncreate table slow (id bigint primary key);\nselect pg_sleep(2);\n');
    const first = runMigrationsUp(testSettings(db.url, dirs.dir));
    await waitFor('the first runner to hold the lock', migrationLockHeld);
    const second = await runMigrationsUp(testSettings(db.url, dirs.dir, { lockWaitMs: 300 }));
    assert.equal(second.outcome, 'locked');
    assert.equal(second.executed.length, 0);
    assert.match(second.lockHolder?.applicationName ?? '', /^cutover-migrate /);
    assert.ok(second.lockHolder?.pid);
    assert.equal((await first).outcome, 'applied');
  });

  test('kill -9 of a runner mid-migration: lock released, nothing recorded, the next run applies it', async () => {
    dirs.write('0001_sleepy.sql', '-- migrate:up\ncreate table sleepy (id bigint primary key);\nselect pg_sleep(4);\n');
    const config = join(dirs.root, 'cutover.yml');
    writeFileSync(config, `service: kill\nprocesses:\n  web:\n    command: node server.js\nmigrations:\n  databaseUrl: ${db.url}\n`);
    const child = spawn(process.execPath, [CLI, 'migrate', 'up', '--config', config], { stdio: 'ignore' });
    children.add(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor('the runner to reach pg_sleep', async () => {
      const rows = await db.query(
        `select 1 from pg_stat_activity where application_name like 'cutover-migrate %' and query like 'select pg_sleep%' and state = 'active'`,
      );
      return rows.length > 0;
    });
    assert.equal(await migrationLockHeld(), true);
    child.kill('SIGKILL');
    await exited;
    children.delete(child);
    await waitFor('the killed runner session to release the lock', async () => !(await migrationLockHeld()), 15_000);
    const history = await db.query('select id, status from cutover.migrations');
    assert.deepEqual(history, []);
    assert.equal((await db.query(`select to_regclass('sleepy') as t`))[0].t, null);
    const next = await runMigrationsUp(testSettings(db.url, dirs.dir));
    assert.equal(next.outcome, 'applied');
    assert.deepEqual(await db.query('select id, status from cutover.migrations'), [{ id: '1', status: 'applied' }]);
  });
});

describe('lock timeouts', () => {
  test('a migration behind a long transaction times out and retries while application queries keep flowing', async () => {
    await db.query('create table hot (id bigint primary key, v text); insert into hot select g, g::text from generate_series(1, 1000) g');
    await db.query('create table other (id bigint primary key); insert into other select generate_series(1, 100)');
    dirs.write('0001_add_flag.sql', '-- migrate:up\nalter table hot add column flag integer default 0;\n');
    const blocker = await db.connect('long-report');
    await blocker.query('begin');
    await blocker.query('select count(*) from hot');
    const blockerPid = (await blocker.query('select pg_backend_pid() as pid')).rows[0].pid;

    const app = await db.connect('app');
    let appRunning = true;
    const latencies = { hot: [] as number[], other: [] as number[] };
    const appLoop = (async () => {
      while (appRunning) {
        for (const table of ['other', 'hot'] as const) {
          const started = performance.now();
          await app.query(`select * from ${table} where id = 7`);
          latencies[table].push(performance.now() - started);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const BLOCKER_MS = 4_000;
    const release = setTimeout(() => blocker.query('commit').catch(() => {}), BLOCKER_MS);
    try {
      const result = await runMigrationsUp(
        testSettings(db.url, dirs.dir, { lockTimeoutMs: 300, lockRetries: 40, retryBaseMs: 100, retryMaxMs: 300 }),
      );
      assert.equal(result.outcome, 'applied', JSON.stringify(result.failure));
      assert.ok(result.lockTimeouts.length >= 2, `${result.lockTimeouts.length} lock timeouts`);
      const first = result.lockTimeouts[0];
      assert.equal(first.line, 2);
      assert.ok(first.retryInMs !== null && first.retryInMs > 0);
      const blockers = first.blockers.map((b) => b.pid);
      assert.ok(blockers.includes(blockerPid), `blockers ${JSON.stringify(first.blockers)}`);
      assert.equal(first.blockers.find((b) => b.pid === blockerPid)?.applicationName, 'long-report');
      assert.equal(result.executed[0].retries, result.lockTimeouts.length);
    } finally {
      clearTimeout(release);
      appRunning = false;
      await appLoop;
    }
    assert.ok(latencies.other.length >= 20, `${latencies.other.length} queries on the other table`);
    // Each queued ALTER stalls reads of "hot" for at most its 300ms lock_timeout; a runner without
    // one would stall them until the blocker commits (about BLOCKER_MS).
    const worstHot = Math.max(...latencies.hot);
    assert.ok(worstHot < BLOCKER_MS - 1_500, `worst read of hot took ${Math.round(worstHot)}ms`);
    const columns = await db.query(`select column_name from information_schema.columns where table_name = 'hot' and column_name = 'flag'`);
    assert.equal(columns.length, 1);
  });

  test('a CONCURRENTLY build cancelled mid-way leaves an INVALID index that the next run drops and rebuilds', async () => {
    await db.query(
      'create table big (id bigint primary key, v integer); insert into big select g, g % 97 from generate_series(1, 20000) g',
    );
    dirs.write('0001_big_v.sql', '-- migrate:up\ncreate index concurrently big_v on big (v);\n');
    const writer = await db.connect('open-writer');
    await writer.query('begin');
    await writer.query('insert into big values (20001, 1)');
    const settings = testSettings(db.url, dirs.dir, { lockTimeoutMs: 60_000 });
    const running = runMigrationsUp(settings);
    let buildPid = 0;
    await waitFor('the concurrent build to wait for the open writer', async () => {
      const rows = await db.query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name like 'cutover-migrate %' and query like 'create index concurrently%' and wait_event_type = 'Lock'`,
      );
      buildPid = rows[0]?.pid ?? 0;
      return buildPid !== 0;
    });
    await db.query('select pg_cancel_backend($1)', [buildPid]);
    const cancelled = await running;
    assert.equal(cancelled.outcome, 'failed');
    assert.equal(cancelled.failure?.sqlstate, '57014');
    assert.equal(cancelled.failure?.invalidIndex, 'big_v');
    assert.deepEqual(await db.query(`select indisvalid from pg_index where indexrelid = 'big_v'::regclass`), [{ indisvalid: false }]);
    await writer.query('commit');
    const retry = await runMigrationsUp(settings);
    assert.equal(retry.outcome, 'applied', JSON.stringify(retry.failure));
    assert.deepEqual(await db.query(`select indisvalid from pg_index where indexrelid = 'big_v'::regclass`), [{ indisvalid: true }]);
    const indexes = await db.query(`select indexname from pg_indexes where tablename = 'big' order by indexname`);
    assert.deepEqual(indexes, [{ indexname: 'big_pkey' }, { indexname: 'big_v' }]);
  });
});
