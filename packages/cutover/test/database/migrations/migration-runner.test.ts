import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseConfigText } from '../../../src/config/load-config.ts';
import { MIGRATION_LOCK_KEY } from '../../../src/database/migrations/advisory-lock.ts';
import { migrationChecksum } from '../../../src/database/migrations/checksum.ts';
import { contractStep, migrateStep, migrationStatus } from '../../../src/database/migrations/migrate-step.ts';
import {
  readMigrationStatus,
  runMigrationsDown,
  runMigrationsTo,
  runMigrationsUp,
} from '../../../src/database/migrations/migration-runner.ts';
import { repairMigrations } from '../../../src/database/migrations/repair-migrations.ts';
import type { StepContext } from '../../../src/pipeline/pipeline-step.ts';
import { createMigrationsDir, createTestDatabase, type TestDatabase, testSettings } from './test-database.ts';

const run = promisify(execFile);
const NODE = process.execPath;
const CLI = new URL('../../../bin/cutover.js', import.meta.url).pathname;

let db: TestDatabase;
let dirs: ReturnType<typeof createMigrationsDir>;

before(async () => {
  db = await createTestDatabase('cutover_runner');
});
after(async () => {
  await db.drop();
});
beforeEach(async () => {
  dirs?.cleanup();
  dirs = createMigrationsDir();
  await db.query('drop schema if exists cutover cascade; drop schema public cascade; create schema public');
});
after(() => dirs?.cleanup());

const M1 = `-- migrate:up
create table accounts (id bigint generated always as identity primary key, email text not null);
-- migrate:down
drop table accounts;
`;
const M2 = `-- migrate:up
alter table accounts add column name text;
-- migrate:down
alter table accounts drop column name;
`;
const M3 = `-- migrate:up
create table audit (id bigint primary key);
-- migrate:down
drop table audit;
`;

function writeConfig(): string {
  const file = join(dirs.root, 'cutover.yml');
  writeFileSync(
    file,
    `service: runner\nprocesses:\n  web:\n    command: node server.js\nmigrations:\n  databaseUrlEnv: TEST_DATABASE_URL\n  lockWaitMs: 1s\n`,
  );
  return file;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = writeConfig();
  try {
    const { stdout, stderr } = await run(NODE, [CLI, 'migrate', ...args, '--config', config], {
      env: { ...process.env, TEST_DATABASE_URL: db.url, CI: '1' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function stepContext(): StepContext {
  const file = writeConfig();
  const loaded = parseConfigText(
    `service: runner\nprocesses:\n  web:\n    command: node server.js\nmigrations:\n  databaseUrl: ${db.url}\n  lockTimeoutMs: 2s\n`,
    file,
  );
  return { loaded, deploymentId: 'd-1', release: 'r2', previousRelease: 'r1', log: () => {}, signal: new AbortController().signal };
}

describe('up, down and to', () => {
  test('applies pending migrations in order, records them, then reports up to date', async () => {
    dirs.write('0002_name.sql', M2);
    dirs.write('0001_accounts.sql', M1);
    const first = await runMigrationsUp(testSettings(db.url, dirs.dir));
    assert.equal(first.outcome, 'applied');
    assert.deepEqual(
      first.executed.map((m) => m.name),
      ['0001_accounts', '0002_name'],
    );
    const rows = await db.query<{ id: string; status: string; checksum: string; kind: string }>(
      'select id, status, checksum, kind from cutover.migrations order by id',
    );
    assert.deepEqual(
      rows.map((r) => [r.id, r.status, r.kind, r.checksum.length]),
      [
        ['1', 'applied', 'expand', 64],
        ['2', 'applied', 'expand', 64],
      ],
    );
    const again = await runMigrationsUp(testSettings(db.url, dirs.dir));
    assert.equal(again.outcome, 'up-to-date');
    assert.equal(again.executed.length, 0);
  });

  test('down reverts the newest migration; to <id> moves both ways', async () => {
    dirs.write('0001_accounts.sql', M1);
    dirs.write('0002_name.sql', M2);
    dirs.write('0003_audit.sql', M3);
    const settings = testSettings(db.url, dirs.dir);
    assert.equal((await runMigrationsUp(settings)).executed.length, 3);
    const down = await runMigrationsDown(settings);
    assert.deepEqual(
      down.executed.map((m) => m.name),
      ['0003_audit'],
    );
    assert.equal((await db.query(`select to_regclass('audit') as t`))[0].t, null);
    const to1 = await runMigrationsTo(settings, '0001');
    assert.deepEqual(
      to1.executed.map((m) => `${m.direction} ${m.name}`),
      ['down 0002_name'],
    );
    assert.equal(
      (
        await db.query(`select count(*)::int as n from information_schema.columns where table_name = 'accounts' and column_name = 'name'`)
      )[0].n,
      0,
    );
    const to3 = await runMigrationsTo(settings, '3');
    assert.deepEqual(
      to3.executed.map((m) => `${m.direction} ${m.name}`),
      ['up 0002_name', 'up 0003_audit'],
    );
    assert.equal((await readMigrationStatus(settings)).state, 'up-to-date');
  });

  test('down refuses, changing nothing, when a migration has no down section', async () => {
    dirs.write('0001_accounts.sql', M1);
    dirs.write('0002_forever.sql', 'alter table accounts add column forever text;\n');
    const settings = testSettings(db.url, dirs.dir);
    await runMigrationsUp(settings);
    const down = await runMigrationsDown(settings, { steps: 2 });
    assert.equal(down.outcome, 'irreversible');
    assert.deepEqual(down.irreversible, ['0002_forever']);
    assert.equal((await db.query('select count(*)::int as n from cutover.migrations'))[0].n, 2);
  });
});

describe('drift and repair', () => {
  test('an edited applied migration is drift until repaired with a reason', async () => {
    dirs.write('0001_accounts.sql', M1);
    const settings = testSettings(db.url, dirs.dir);
    await runMigrationsUp(settings);
    dirs.write('0001_accounts.sql', M1.replace('email text not null', 'email text not null, extra text'));
    const up = await runMigrationsUp(settings);
    assert.equal(up.outcome, 'drift');
    assert.deepEqual(
      up.drift.map((d) => [d.name, d.state]),
      [['0001_accounts', 'drift']],
    );
    assert.equal((await readMigrationStatus(settings)).exitCode, 5);
    await assert.rejects(repairMigrations(settings, { reason: ' ' }), { code: 'CUT_ERR_MIGRATE_REASON_REQUIRED' });
    const repaired = await repairMigrations(settings, { reason: 'added a column by hand in production already' });
    assert.deepEqual(
      repaired.repaired.map((r) => [r.id, r.action]),
      [['1', 'checksum']],
    );
    const status = await readMigrationStatus(settings);
    assert.equal(status.state, 'up-to-date');
    assert.equal(status.migrations[0].repairedReason, 'added a column by hand in production already');
  });

  test('line endings do not count as an edit; a deleted applied file is drift', async () => {
    dirs.write('0001_accounts.sql', M1);
    dirs.write('0002_name.sql', M2);
    const settings = testSettings(db.url, dirs.dir);
    await runMigrationsUp(settings);
    dirs.write('0001_accounts.sql', M1.replaceAll('\n', '\r\n'));
    assert.equal((await readMigrationStatus(settings)).state, 'up-to-date');
    dirs.remove('0002_name.sql');
    const status = await readMigrationStatus(settings);
    assert.equal(status.state, 'drift');
    assert.equal(status.migrations[1].state, 'missing');
  });
});

describe('failures', () => {
  test('a failing statement rolls its transaction back and records the line; the fixed file applies', async () => {
    dirs.write('0001_accounts.sql', M1);
    dirs.write('0002_bad.sql', '-- migrate:up\nalter table accounts add column a text;\n\nalter table nope add column b text;\n');
    const settings = testSettings(db.url, dirs.dir);
    const up = await runMigrationsUp(settings);
    assert.equal(up.outcome, 'failed');
    assert.equal(up.failure?.line, 4);
    assert.equal(up.failure?.sqlstate, '42P01');
    assert.equal(
      (await db.query(`select count(*)::int as n from information_schema.columns where table_name = 'accounts' and column_name = 'a'`))[0]
        .n,
      0,
    );
    const status = await readMigrationStatus(settings);
    assert.equal(status.state, 'failed');
    assert.equal(status.exitCode, 4);
    assert.equal(status.migrations[1].failedLine, 4);
    dirs.write('0002_bad.sql', '-- migrate:up\nalter table accounts add column a text;\n');
    assert.equal((await runMigrationsUp(settings)).outcome, 'applied');
    assert.equal((await readMigrationStatus(settings)).state, 'up-to-date');
  });

  test('a failed unique CONCURRENTLY build leaves an INVALID index; the next run resumes, drops it and rebuilds', async () => {
    dirs.write('0001_accounts.sql', M1);
    await runMigrationsUp(testSettings(db.url, dirs.dir));
    await db.query(`insert into accounts (email) values ('a@x'), ('a@x')`);
    dirs.write(
      '0002_unique_email.sql',
      '-- migrate:up\nalter table accounts add column verified boolean;\ncreate unique index concurrently accounts_email_key on accounts (email);\nalter table accounts add column checked boolean;\n',
    );
    const settings = testSettings(db.url, dirs.dir);
    const up = await runMigrationsUp(settings);
    assert.equal(up.outcome, 'failed');
    assert.equal(up.failure?.line, 3);
    assert.equal(up.failure?.invalidIndex, 'accounts_email_key');
    const invalid = await db.query(`select indisvalid from pg_index where indexrelid = 'accounts_email_key'::regclass`);
    assert.equal(invalid[0].indisvalid, false);
    const row = await db.query(`select status, units_done from cutover.migrations where id = '2'`);
    assert.deepEqual(row[0], { status: 'failed', units_done: 1 });
    await db.query(`delete from accounts where id = (select max(id) from accounts)`);
    const retry = await runMigrationsUp(settings);
    assert.equal(retry.outcome, 'applied', JSON.stringify(retry.failure));
    const valid = await db.query(`select indisvalid from pg_index where indexrelid = 'accounts_email_key'::regclass`);
    assert.equal(valid[0].indisvalid, true);
    const columns = await db.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'accounts' order by ordinal_position`,
    );
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['id', 'email', 'verified', 'checked'],
    );
  });
});

describe('interrupted runs', () => {
  test('a run that died after a CONCURRENTLY build but before recording it does not rebuild it', async () => {
    dirs.write('0001_accounts.sql', M1);
    const settings = testSettings(db.url, dirs.dir);
    await runMigrationsUp(settings);
    const text =
      '-- migrate:up\ncreate index concurrently accounts_email_idx on accounts (email);\nalter table accounts add column seen boolean;\n';
    dirs.write('0002_email_idx.sql', text);
    await db.query('create index accounts_email_idx on accounts (email)');
    await db.query(
      `insert into cutover.migrations (id, name, checksum, kind, status, units_done, applied_by) values ('2', '0002_email_idx', $1, 'expand', 'running', 0, 'crashed@host')`,
      [migrationChecksum(text)],
    );
    assert.equal((await readMigrationStatus(settings)).state, 'failed');
    const up = await runMigrationsUp(settings);
    assert.equal(up.outcome, 'applied', JSON.stringify(up.failure));
    assert.deepEqual(await db.query(`select status, units_done from cutover.migrations where id = '2'`), [
      { status: 'applied', units_done: 2 },
    ]);
  });
});

describe('lint gate and expand/contract', () => {
  test('blocking findings stop up before any change; an allow with a reason lets it through', async () => {
    dirs.write('0001_accounts.sql', M1);
    const settings = testSettings(db.url, dirs.dir);
    await runMigrationsUp(settings);
    dirs.write('0002_index.sql', '-- migrate:up\ncreate index accounts_email on accounts (email);\n');
    const blocked = await runMigrationsUp(settings);
    assert.equal(blocked.outcome, 'lint-blocked');
    assert.deepEqual(
      blocked.lintFindings.filter((f) => f.blocking).map((f) => [f.ruleId, f.line]),
      [['index-not-concurrent', 2]],
    );
    assert.equal((await db.query(`select to_regclass('accounts_email') as i`))[0].i, null);
    dirs.write(
      '0002_index.sql',
      '-- cutover:allow index-not-concurrent\n-- migrate:up\ncreate index accounts_email on accounts (email);\n',
    );
    const noReason = await runMigrationsUp(settings);
    assert.equal(noReason.outcome, 'lint-blocked');
    assert.ok(noReason.lintFindings.some((f) => f.ruleId === 'allow-without-reason' && f.blocking));
    dirs.write(
      '0002_index.sql',
      '-- cutover:allow index-not-concurrent accounts holds 40 rows\n-- migrate:up\ncreate index accounts_email on accounts (email);\n',
    );
    assert.equal((await runMigrationsUp(settings)).outcome, 'applied');
  });

  test('migrateStep skips contract migrations and refuses on lint findings; contractStep applies them', async () => {
    dirs.write('0001_accounts.sql', M1);
    dirs.write('0002_name.sql', M2);
    dirs.write('0003_drop_email.sql', '-- cutover:contract\n-- migrate:up\nalter table accounts drop column email;\n');
    const ctx = stepContext();
    const loaded = parseConfigText(
      `service: runner\nprocesses:\n  web:\n    command: node server.js\nmigrations:\n  databaseUrl: ${db.url}\n`,
      join(dirs.root, 'cutover.yml'),
    );
    const expand = await migrateStep(ctx);
    assert.equal(expand.outcome, 'ok', expand.reason);
    assert.deepEqual(
      (expand.values.applied as { name: string }[]).map((m) => m.name),
      ['0001_accounts', '0002_name'],
    );
    assert.deepEqual(expand.values.skippedContract, ['0003_drop_email']);
    const status = await migrationStatus(loaded);
    assert.equal(status?.pendingContract, 1);
    const applied = await db.query<{ applied_by: string }>(`select applied_by from cutover.migrations where id = '1'`);
    assert.match(applied[0].applied_by, /deployment d-1$/);
    const contract = await contractStep(ctx);
    assert.equal(contract.outcome, 'ok', contract.reason);
    assert.deepEqual(
      (contract.values.applied as { name: string }[]).map((m) => m.name),
      ['0003_drop_email'],
    );
    dirs.write('0004_rename.sql', '-- migrate:up\nalter table accounts rename column name to full_name;\n');
    const refused = await migrateStep(ctx);
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.reason ?? '', /rename-column at 0004_rename.sql:2/);
  });

  test('a drop in an expand migration blocks; the same drop marked contract does not', async () => {
    dirs.write('0001_accounts.sql', M1);
    dirs.write('0002_drop.sql', '-- migrate:up\nalter table accounts drop column email;\n');
    const settings = testSettings(db.url, dirs.dir);
    const up = await runMigrationsUp(settings);
    assert.equal(up.outcome, 'lint-blocked');
    assert.equal(up.executed.length, 0);
    dirs.write('0002_drop.sql', '-- cutover:contract\n-- migrate:up\nalter table accounts drop column email;\n');
    const expand = await runMigrationsUp(settings);
    assert.deepEqual(
      expand.executed.map((m) => m.name),
      ['0001_accounts'],
    );
    assert.deepEqual(expand.skippedContract, ['0002_drop']);
    assert.equal((await runMigrationsUp(settings, { contract: true })).executed[0].name, '0002_drop');
  });
});

describe('cutover migrate CLI', () => {
  test('status exit codes: 3 pending, 0 up to date, 6 locked, 5 drift, 4 failed', async () => {
    dirs.write('0001_accounts.sql', M1);
    let r = await cli('status', '--json');
    assert.equal(r.code, 3, r.stderr);
    assert.equal(JSON.parse(r.stdout).state, 'pending');
    r = await cli('up');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied 1 migration/);
    assert.equal((await cli('status')).code, 0);

    const holder = await db.connect('someone-else');
    await holder.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    r = await cli('status', '--json');
    assert.equal(r.code, 6);
    assert.equal(JSON.parse(r.stdout).lockHolder.applicationName, 'someone-else');
    dirs.write('0002_name.sql', M2);
    r = await cli('up', '--json');
    assert.equal(r.code, 6);
    const locked = JSON.parse(r.stdout);
    assert.equal(locked.outcome, 'locked');
    assert.equal(locked.error.code, 'CUT_ERR_MIGRATE_LOCKED');
    assert.equal(locked.lockHolder.applicationName, 'someone-else');
    await holder.end();

    dirs.write('0001_accounts.sql', `${M1}\n-- edited\n`);
    assert.equal((await cli('status')).code, 5);
    r = await cli('up');
    assert.equal(r.code, 5);
    assert.match(r.stderr, /CUT_ERR_MIGRATE_DRIFT/);
    assert.equal((await cli('repair')).code, 2);
    assert.equal((await cli('repair', '--reason', 'comment only')).code, 0);

    dirs.write('0002_name.sql', '-- migrate:up\nselect * from missing_table;\n');
    r = await cli('up');
    assert.equal(r.code, 4);
    assert.match(r.stderr, /CUT_ERR_MIGRATE_FAILED/);
    assert.equal((await cli('status')).code, 4);
  });

  test('plan shows statements, lock levels, transaction boundaries and findings; lint exits 7 when blocked', async () => {
    dirs.write('0001_accounts.sql', M1);
    await cli('up');
    dirs.write(
      '0002_mixed.sql',
      '-- migrate:up\nalter table accounts add column name text;\ncreate index concurrently accounts_name on accounts (name);\ncreate index accounts_email on accounts (email);\n',
    );
    const r = await cli('plan');
    assert.equal(r.code, 7, r.stderr);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    const at = lines.findIndex((l) => l.startsWith('0002_mixed'));
    assert.deepEqual(lines.slice(at + 1, at + 9), [
      'BEGIN',
      'L2    ACCESS EXCLUSIVE       alter table accounts add column name text',
      'COMMIT',
      '-- outside any transaction',
      'L3    SHARE UPDATE EXCLUSIVE create index concurrently accounts_name on accounts (name)',
      'BEGIN',
      'L4    SHARE                  create index accounts_email on accounts (email)',
      'COMMIT',
    ]);
    assert.match(r.stdout, /0002_mixed.sql:4 error index-not-concurrent/);
    const lint = await cli('lint', '--json');
    assert.equal(lint.code, 7);
    assert.equal(JSON.parse(lint.stdout).findings[0].ruleId, 'index-not-concurrent');
    assert.equal((await cli('lint', '--all')).code, 7);
  });
});
