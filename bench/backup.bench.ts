/**
 * Backup and verify cost per GB of database, by hand on 127.0.0.1:5432:
 *   - generates --mb of rows in a scratch database (orders-like table with a primary key and an index,
 *     text that compresses about as well as real data: hex digests, not repeated characters);
 *   - times plain `pg_dump -Fc` (the floor), `cutover db backup` (pg_dump on an exported snapshot plus
 *     exact row counts and the manifest), and `cutover db verify` (sha256, pg_restore into a scratch
 *     database with backup.restoreJobs, counts and schema compared, scratch dropped);
 *   - scales each time to seconds per GB of database size (pg_database_size).
 * Run: node bench/backup.bench.ts [--mb 300] [--jobs 2] [--pg postgres://postgres@127.0.0.1:5432/postgres]
 * Prints a table and writes the raw figures to bench/results/backup-<time>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { loadConfig } from '../packages/cutover/src/config/load-config.ts';
import { buildPgDumpArgs } from '../packages/cutover/src/database/backup/build-pg-dump-args.ts';
import { createBackup } from '../packages/cutover/src/database/backup/create-backup.ts';
import { findPgTool } from '../packages/cutover/src/database/backup/find-pg-tool.ts';
import { parsePgUrl } from '../packages/cutover/src/database/backup/pg-target.ts';
import { verifyBackup } from '../packages/cutover/src/database/backup/verify-backup.ts';
import { runProcess } from '../packages/cutover/src/shared/run-process.ts';
import { runBench } from './support/cleanup.ts';
import { machine, writeResults } from './support/results-file.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '300' },
    jobs: { type: 'string', default: '2' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const targetMb = Number(values.mb);
const jobs = Number(values.jobs);
const adminUrl = values.pg as string;
/** Bytes per generated row on PostgreSQL 15 (heap + primary key + one secondary index), measured at 400 MB. */
const BYTES_PER_ROW = 170;
const GB = 1024 ** 3;
const MAX_BENCH_MS = 60 * 60_000;

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

await runBench(MAX_BENCH_MS, async (cleanup) => {
  const database = `cutover_bench_backup_${randomBytes(3).toString('hex')}`;
  const dbUrl = adminUrl.replace(/\/[^/]*$/, `/${database}`);
  await query(adminUrl, `create database ${database}`);
  cleanup.add('drop bench database', () => query(adminUrl, `drop database if exists ${database} with (force)`).then(() => {}));
  const dir = await mkdtemp(join(tmpdir(), 'cutover-bench-backup-'));
  cleanup.add('remove temp dir', () => rm(dir, { recursive: true, force: true }));

  const rows = Math.round((targetMb * 1024 * 1024) / BYTES_PER_ROW);
  console.log(`generating ~${targetMb} MB (${rows} rows) in ${database}…`);
  const genStart = performance.now();
  await query(
    dbUrl,
    `create table orders (id bigint primary key, customer_id int not null, status text not null, total numeric(12,2) not null,
       reference text not null, created_at timestamptz not null);
     insert into orders select g, ((g::bigint * 7919) % 100000)::int, (array['new','paid','shipped','done'])[1 + g % 4], (g % 100000) / 100.0,
       md5(g::text) || md5((g::bigint * 31)::text), now() - (g || ' seconds')::interval from generate_series(1, ${rows}) g;
     create index orders_customer on orders (customer_id);
     create table customers as select g as id, 'customer ' || g as name, md5(g::text) || '@example.com' as email from generate_series(1, 100000) g;
     alter table customers add primary key (id);
     analyze;`,
  );
  const dbBytes = Number((await query(dbUrl, `select pg_database_size(current_database()) as n`)).rows[0].n);
  console.log(`generated ${(dbBytes / 1024 ** 2).toFixed(0)} MB in ${((performance.now() - genStart) / 1000).toFixed(1)} s`);

  await writeFile(
    join(dir, 'cutover.yml'),
    stringify({
      service: 'bench',
      processes: { web: { command: 'true' } },
      agent: { dataDir: join(dir, 'data') },
      backup: { databaseUrl: dbUrl, restoreJobs: jobs, timeoutMs: '1h' },
    }),
  );
  const loaded = loadConfig(dir, 'cutover.yml');

  const target = parsePgUrl(dbUrl);
  const pgDump = await findPgTool('pg_dump', 15);
  const plainFile = join(dir, 'plain.dump');
  const plain = await runProcess(pgDump.path, buildPgDumpArgs({ target, file: plainFile, lockWaitTimeoutMs: 10_000 }), {
    timeoutMs: MAX_BENCH_MS,
  });
  if (plain.exitCode !== 0) throw new Error(`pg_dump failed: ${plain.stderr}`);
  const plainBytes = (await stat(plainFile)).size;
  await rm(plainFile);

  const backup = await createBackup({ loaded });
  const verify = await verifyBackup({ loaded, id: backup.manifest.id });
  if (!verify.verified) throw new Error(`verify failed: ${verify.problems.join('; ')}`);

  const perGb = (ms: number) => (ms / 1000 / (dbBytes / GB)).toFixed(1);
  const rowsOut = [
    ['pg_dump -Fc alone', plain.durationMs, plainBytes],
    ['cutover db backup (snapshot + counts + manifest)', backup.manifest.durationMs, backup.manifest.sizeBytes],
    [`cutover db verify (restore -j${jobs} + compare)`, verify.durationMs, null],
    [`  of which pg_restore`, verify.restoreMs ?? 0, null],
  ] as const;
  console.log(
    `\ndatabase ${(dbBytes / 1024 ** 2).toFixed(0)} MB (${rows} + 100000 rows), dump ${(backup.manifest.sizeBytes / 1024 ** 2).toFixed(0)} MB`,
  );
  console.log(`${'step'.padEnd(50)} ${'seconds'.padStart(8)} ${'s per GB'.padStart(9)} ${'output MB'.padStart(10)}`);
  for (const [name, ms, bytes] of rowsOut) {
    console.log(
      `${name.padEnd(50)} ${(ms / 1000).toFixed(1).padStart(8)} ${perGb(ms).padStart(9)} ${(bytes === null ? '-' : (bytes / 1024 ** 2).toFixed(0)).padStart(10)}`,
    );
  }
  const file = writeResults('backup', {
    machine: machine(),
    databaseBytes: dbBytes,
    rows,
    restoreJobs: jobs,
    pgDumpMs: plain.durationMs,
    pgDumpBytes: plainBytes,
    backupMs: backup.manifest.durationMs,
    backupBytes: backup.manifest.sizeBytes,
    verifyMs: verify.durationMs,
    restoreMs: verify.restoreMs,
  });
  console.log(`\nraw figures: ${file}`);
});
