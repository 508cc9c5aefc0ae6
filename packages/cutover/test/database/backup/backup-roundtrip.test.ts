import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { LoadedConfig } from '../../../src/config/load-config.ts';
import { backupDir, dumpPath, listManifests, readManifest } from '../../../src/database/backup/backup-manifest.ts';
import { backupStep } from '../../../src/database/backup/backup-step.ts';
import { createBackup } from '../../../src/database/backup/create-backup.ts';
import { restoreBackup } from '../../../src/database/backup/restore-backup.ts';
import { verifyBackup } from '../../../src/database/backup/verify-backup.ts';
import { CREATE_HISTORY_TABLE_SQL } from '../../../src/database/migrations/history-table.ts';
import { isCutoverError } from '../../../src/errors/cutover-error.ts';
import type { StepContext } from '../../../src/pipeline/pipeline-step.ts';
import { createTestDatabase, loadTestConfig, makeTempDir, type TestDatabase, withClient } from '../../checks/fixtures.ts';

let db: TestDatabase;
let temp: { dir: string; remove(): Promise<void> };
let loaded: LoadedConfig;

async function seed(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(CREATE_HISTORY_TABLE_SQL);
    await client.query(
      `insert into cutover.migrations (id, name, checksum, kind, status, applied_by) values
       ('0001', 'init', 'c1', 'expand', 'applied', 't'), ('0002', 'orders', 'c2', 'expand', 'applied', 't'),
       ('0003', 'broken', 'c3', 'expand', 'failed', 't')`,
    );
    await client.query(`create table customers (id serial primary key, email text not null unique)`);
    await client.query(`create table orders (id bigserial primary key, customer_id int references customers(id), total numeric(10,2))`);
    await client.query(`insert into customers (email) select 'c' || g || '@example.com' from generate_series(1, 50) g`);
    await client.query(`insert into orders (customer_id, total) select 1 + g % 50, g * 1.5 from generate_series(1, 1234) g`);
  });
}

function stepContext(): StepContext {
  return { loaded, deploymentId: 'dep-1', release: 'r2', previousRelease: 'r1', log: () => {}, signal: new AbortController().signal };
}

describe('backup, verify, restore against a real PostgreSQL', () => {
  before(async () => {
    db = await createTestDatabase('cutover_backup_rt');
    temp = await makeTempDir('cutover-backup');
    await seed(db.url);
    loaded = await loadTestConfig(temp.dir, { backup: { databaseUrl: db.url, keepCount: 10 } });
  });
  after(async () => {
    await db?.drop();
    await temp?.remove();
  });

  test('backup writes a dump and a manifest whose sha256, counts and migration version are right', async () => {
    const { manifest, dumpFile } = await createBackup({ loaded });
    const bytes = await readFile(dumpFile);
    assert.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(manifest.sizeBytes, bytes.length);
    assert.equal(bytes.subarray(0, 5).toString(), 'PGDMP', 'custom format dump');
    assert.equal(manifest.migrationVersion, '0002', 'latest applied, not the failed one');
    assert.equal(manifest.database.name, db.name);
    assert.match(manifest.serverVersion, /^\d+\.\d+$/);
    assert.match(manifest.pgDumpVersion, /^\d+\.\d+$/);
    const byName = Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.name}`, t]));
    assert.deepEqual(Object.keys(byName).sort(), ['cutover.migrations', 'public.customers', 'public.orders']);
    assert.equal(byName['public.orders'].rows, 1234);
    assert.equal(byName['public.customers'].rows, 50);
    assert.equal(byName['public.orders'].rowsExact, true);
    assert.deepEqual(byName['public.customers'].columns, ['id integer', 'email text']);
    assert.ok(manifest.sequences.some((s) => s.name === 'orders_id_seq' && s.lastValue === '1234'));
    assert.equal(manifest.verified, null);
    assert.deepEqual(await readManifest(backupDir(loaded), manifest.id), manifest);
  });

  test('verify restores into a scratch database, passes, records verified=true and drops the scratch database', async () => {
    const [latest] = await listManifests(backupDir(loaded));
    const result = await verifyBackup({ loaded, id: latest.id });
    assert.deepEqual(result.problems, []);
    assert.equal(result.verified, true);
    const stored = await readManifest(backupDir(loaded), latest.id);
    assert.equal(stored.verified, true);
    assert.equal(stored.verification?.verified, true);
    const scratch = await withClient(db.url, (c) => c.query('select 1 from pg_database where datname = $1', [result.scratchDatabase]));
    assert.equal(scratch.rowCount, 0, 'scratch database dropped');
  });

  test('restore brings modified data back and keeps the previous database aside', async () => {
    const [latest] = await listManifests(backupDir(loaded));
    await withClient(db.url, async (c) => {
      await c.query('delete from orders where id > 100');
      await c.query('create table added_later (id int)');
    });
    const result = await restoreBackup({ loaded, id: latest.id });
    assert.equal(result.terminatedConnections, 0);
    assert.ok(result.previousDatabase?.startsWith(`${db.name}_before_`));
    assert.ok(result.actions.some((a) => a.includes('sha256')));
    await withClient(db.url, async (c) => {
      assert.equal((await c.query('select count(*)::int as n from orders')).rows[0].n, 1234);
      assert.equal((await c.query(`select to_regclass('added_later') as t`)).rows[0].t, null);
      const next = await c.query(`select nextval('orders_id_seq')::int as n`);
      assert.equal(next.rows[0].n, 1235);
    });
    const previousUrl = db.url.replace(/\/[^/]*$/, `/${result.previousDatabase}`);
    await withClient(previousUrl, async (c) => {
      assert.equal((await c.query('select count(*)::int as n from orders')).rows[0].n, 100);
    });
  });

  test('restore refuses while an application is connected, and --force terminates it', async () => {
    const [latest] = await listManifests(backupDir(loaded));
    const app = new pg.Client({ connectionString: db.url, application_name: 'shop-web' });
    app.on('error', () => {});
    await app.connect();
    try {
      await assert.rejects(restoreBackup({ loaded, id: latest.id }), (error: unknown) => {
        assert.ok(isCutoverError(error));
        assert.equal(error.code, 'CUT_ERR_BACKUP_TARGET_BUSY');
        assert.match(error.message, /shop-web/);
        return true;
      });
      await app.query('select 1');
      const result = await restoreBackup({ loaded, id: latest.id, force: true });
      assert.ok(result.terminatedConnections >= 1);
      await assert.rejects(app.query('select 1'));
    } finally {
      await app.end().catch(() => {});
    }
    await withClient(db.url, async (c) => {
      assert.equal((await c.query('select count(*)::int as n from orders')).rows[0].n, 1234);
    });
  });

  test('a dump with flipped bytes fails verify (sha mismatch) and restore refuses it', async () => {
    const { manifest } = await createBackup({ loaded });
    const file = dumpPath(backupDir(loaded), manifest.id);
    const handle = await open(file, 'r+');
    try {
      const buffer = Buffer.alloc(16);
      await handle.read(buffer, 0, 16, 100);
      for (let i = 0; i < buffer.length; i++) buffer[i] ^= 0xff;
      await handle.write(buffer, 0, 16, 100);
    } finally {
      await handle.close();
    }
    const result = await verifyBackup({ loaded, id: manifest.id });
    assert.equal(result.verified, false);
    assert.match(result.problems[0], /sha256 mismatch/);
    assert.equal((await readManifest(backupDir(loaded), manifest.id)).verified, false);
    await assert.rejects(restoreBackup({ loaded, id: manifest.id }), /CUT_ERR_BACKUP_CHECKSUM_MISMATCH|refusing to restore/);
  });

  test('backupStep returns the backup id and the exact restore command', async () => {
    const result = await backupStep(stepContext());
    assert.equal(result.outcome, 'ok');
    const id = result.values.backupId as string;
    assert.equal(result.values.restoreCommand, `cutover db restore ${id} --config ${loaded.file}`);
    const manifest = await readManifest(backupDir(loaded), id);
    assert.equal(manifest.deploymentId, 'dep-1');
    assert.equal(manifest.release, 'r2');
  });

  test('a table locked by DDL makes the step fail fast (lock wait timeout) and leaves no partial dump', async () => {
    const sub = join(temp.dir, 'locked');
    await mkdir(sub);
    const lockedLoaded = await loadTestConfig(sub, { backup: { databaseUrl: db.url, lockWaitTimeoutMs: '300ms' } });
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table orders in access exclusive mode');
      const startedAt = Date.now();
      const result = await backupStep({ ...stepContext(), loaded: lockedLoaded });
      assert.equal(result.outcome, 'failed');
      assert.equal(result.values.errorCode, 'CUT_ERR_BACKUP_DUMP_FAILED');
      assert.ok(Date.now() - startedAt < 30_000, 'did not queue behind the lock');
      const left = await readdir(backupDir(lockedLoaded));
      assert.deepEqual(left, []);
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
  });
});
