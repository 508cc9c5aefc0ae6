// Point-in-time recovery end to end on a private PostgreSQL 15 (initdb + pg_ctl on a free port in
// 24000-24999, its own directory, archive_command into a private archive): write rows, note the
// time, write more, recover to the noted time into a new data directory, find exactly the first
// rows. Base backups, retention of WAL and the refusals are checked on the same cluster.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '@cutover/service-kit/testing';
import pg from 'pg';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createTaskExecutor } from '../../../src/controller/tasks/task-executor.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BIN = fileURLToPath(new URL('../../../bin/cutover.js', import.meta.url));
const PG_BIN = '/usr/lib/postgresql/15/bin';
const available = existsSync(join(PG_BIN, 'initdb'));
const asRoot = process.getuid?.() === 0;

let root = '';
let source = '';
let archive = '';
let project = '';
let port = 0;
const started: string[] = [];

/** PostgreSQL's programs refuse root: as root they run as postgres. */
function pgRun(program: string, args: string[]) {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, program), ...args]] : [join(PG_BIN, program), args];
  const run = spawnSync(file, argv, { encoding: 'utf8', timeout: 180_000 });
  assert.equal(run.status, 0, `${program} ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

async function freePortInRange(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const candidate = await freePort();
    if (!existsSync(`/tmp/.s.PGSQL.${candidate}`)) return candidate;
  }
  throw new Error('no free port without a PostgreSQL socket file in /tmp');
}

function cutover(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, 'db', ...args, '--config', join(project, 'cutover.yml'), '--json'], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, DATABASE_URL: '' },
  });
  const parsed = run.stdout.trim().startsWith('{') ? JSON.parse(run.stdout) : undefined;
  return { code: run.status, json: parsed, stderr: run.stderr, stdout: run.stdout };
}

const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url('app') });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

before(async () => {
  if (!available) return;
  root = mkdtempSync(join(tmpdir(), 'cutover-pitr-'));
  chmodSync(root, 0o755);
  source = join(root, 'source');
  archive = join(root, 'archive');
  project = join(root, 'project');
  mkdirSync(source, { mode: 0o700 });
  mkdirSync(archive, { mode: 0o700 });
  mkdirSync(project);
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    for (const dir of [source, archive]) chownSync(dir, Number(ids.stdout), Number(gid.stdout));
  }
  port = await freePortInRange();
  pgRun('initdb', ['-D', source, '-U', 'postgres', '--auth=trust', '--no-sync']);
  writeFileSync(
    join(source, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${source}'`,
      'wal_level = replica',
      'archive_mode = on',
      `archive_command = 'test ! -f ${archive}/%f && cp %p ${archive}/%f'`,
      'max_wal_senders = 4',
      'fsync = off',
      '',
    ].join('\n'),
    { flag: 'a' },
  );
  pgRun('pg_ctl', ['-D', source, '-l', join(source, 'server.log'), '-w', '-t', '120', 'start']);
  started.push(source);
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE app');
  await admin.end();
  writeFileSync(
    join(project, 'cutover.yml'),
    `service: shop
processes:
  web:
    command: node server.js
backup:
  databaseUrl: ${url('app')}
  pitr:
    archiveDir: ${archive}
    keepCount: 2
tasks:
  nightly:
    schedule: "0 2 * * *"
    kind: backup
    method: base
`,
  );
});

after(() => {
  for (const dir of started.reverse()) {
    if (existsSync(join(dir, 'postmaster.pid'))) pgRun('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

test('recover to a noted time: exactly the rows written before it, from a base backup and the archived WAL', {
  skip: !available && 'no PostgreSQL 15 in /usr/lib/postgresql/15',
}, async () => {
  const refused = cutover('recover', '--to', '2026-01-01T00:00:00Z', '--data-dir', join(root, 'nothing-yet'));
  assert.equal(refused.code, 5, refused.stdout);
  assert.equal(refused.json.error.code, 'CUT_ERR_PITR_NO_BASE_BACKUP');

  await sql('CREATE TABLE notes (id integer PRIMARY KEY, phase text NOT NULL)');
  await sql("INSERT INTO notes SELECT g, 'before the base backup' FROM generate_series(1, 3) AS g");
  const base = cutover('base-backup');
  assert.equal(base.code, 0, base.stdout + base.stderr);
  assert.match(base.json.manifest.startWalFile, /^[0-9A-F]{24}$/);
  assert.ok(existsSync(join(base.json.directory, 'base.tar.gz')));

  // Replayed from the archive, not in the base backup.
  await sql("INSERT INTO notes SELECT g, 'after the base backup' FROM generate_series(4, 5) AS g");
  const [{ noted }] = await sql<{ noted: string }>(
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS noted`,
  );
  // Commit timestamps are microseconds apart at least; make sure the next commit comes later.
  await waitFor(async () => (await sql<{ later: boolean }>('SELECT clock_timestamp() > $1::timestamptz AS later', [noted]))[0].later, {
    timeoutMs: 10_000,
    what: 'the server clock to pass the noted time',
  });
  await sql("INSERT INTO notes SELECT g, 'after the noted time' FROM generate_series(6, 8) AS g");
  await sql("UPDATE notes SET phase = 'changed after the noted time' WHERE id = 1");
  const [{ wal }] = await sql<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
  await waitFor(() => existsSync(join(archive, wal)), { timeoutMs: 60_000, what: `${wal} in the archive`, intervalMs: 50 });

  const busy = join(root, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'keep'), 'x');
  const notEmpty = cutover('recover', '--to', noted, '--data-dir', busy);
  assert.equal(notEmpty.json.error.code, 'CUT_ERR_PITR_TARGET_EXISTS');
  const badTime = cutover('recover', '--to', '2026-05-12 14:30', '--data-dir', join(root, 'x'));
  assert.equal(badTime.json.error.code, 'CUT_ERR_PITR_BAD_TIME');

  const recoveredDir = join(root, 'recovered');
  const recoveredPort = await freePortInRange();
  const recovered = cutover('recover', '--to', noted, '--data-dir', recoveredDir, '--port', String(recoveredPort), '--keep-running');
  if (existsSync(join(recoveredDir, 'postmaster.pid'))) started.push(recoveredDir);
  assert.equal(recovered.code, 0, recovered.stdout + recovered.stderr);
  assert.equal(recovered.json.baseBackup, base.json.manifest.id);
  assert.equal(recovered.json.running, true);
  assert.match(recovered.json.outcome.stopLine, /^recovery stopping before commit of transaction \d+/);
  assert.deepEqual(recovered.json.tables, [{ name: 'public.notes', rows: 5 }]);

  const client = new pg.Client({ host: recoveredDir, port: recoveredPort, user: 'postgres', database: 'app' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number; phase: string }>('SELECT id, phase FROM notes ORDER BY id');
    assert.deepEqual(rows, [
      { id: 1, phase: 'before the base backup' },
      { id: 2, phase: 'before the base backup' },
      { id: 3, phase: 'before the base backup' },
      { id: 4, phase: 'after the base backup' },
      { id: 5, phase: 'after the base backup' },
    ]);
    // Promoted: a new timeline that accepts writes, and it archives nothing into the source's archive.
    assert.equal((await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r, false);
    assert.equal((await client.query("SELECT current_setting('archive_mode') AS m")).rows[0].m, 'off');
  } finally {
    await client.end();
  }
  // The source never noticed.
  assert.equal((await sql<{ n: string }>('SELECT count(*)::text AS n FROM notes'))[0].n, '8');
});

test('a scheduled base backup task; retention keeps the newest base backups and deletes the WAL only older ones needed', {
  skip: !available && 'no PostgreSQL 15',
}, async () => {
  await sql(`INSERT INTO notes VALUES (100, 'between base backups')`);
  await sql('SELECT pg_switch_wal()');
  const taken = cutover('base-backup');
  assert.equal(taken.code, 0, taken.stdout + taken.stderr);
  await sql(`INSERT INTO notes VALUES (101, 'between base backups')`);
  await sql('SELECT pg_switch_wal()');
  // The task the controller's scheduler runs (kind: backup, method: base), here without a controller.
  const loaded = loadConfig(project);
  const execute = createTaskExecutor({ loaded, servingRelease: () => null });
  const run = await execute('nightly', loaded.config.tasks.nightly, { signal: new AbortController().signal });
  assert.equal(run.ok, true, run.reason ?? '');
  assert.match(run.outputTail, /base backup b-\S+: \d+ bytes, WAL from [0-9A-F]{24}/);
  assert.match(run.outputTail, /retention deleted base backup /);
  const list = cutover('base-backups');
  assert.equal(list.json.baseBackups.length, 2);
  const oldestKept = list.json.baseBackups[1].startWalFile as string;
  const segments = readdirSync(archive).filter((f) => /^[0-9A-F]{24}$/.test(f));
  assert.ok(segments.length > 0);
  assert.ok(
    segments.every((f) => f.slice(8) >= oldestKept.slice(8)),
    `segments before ${oldestKept} remain: ${segments.join(', ')}`,
  );
  // A time before the oldest kept base backup is now out of reach.
  const gone = cutover('recover', '--to', '2000-01-01T00:00:00Z', '--data-dir', join(root, 'too-old'));
  assert.equal(gone.json.error.code, 'CUT_ERR_PITR_NO_BASE_BACKUP');
});

test('an archive directory that does not exist is refused before any copy is made', { skip: !available && 'no PostgreSQL 15' }, () => {
  writeFileSync(
    join(project, 'off.yml'),
    `service: shop
processes:
  web:
    command: node server.js
backup:
  databaseUrl: ${url('app')}
  pitr:
    archiveDir: ${join(root, 'no-such-archive')}
`,
  );
  const run = spawnSync(process.execPath, [BIN, 'db', 'base-backup', '--config', join(project, 'off.yml'), '--json'], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 1);
  assert.equal(JSON.parse(run.stdout).error.code, 'CUT_ERR_PITR_ARCHIVE_MISSING');
});
