/**
 * What each index of `cards` costs PostgreSQL for bulk inserts: binary COPY of minted chunks (20,000
 * cards, as the worker writes them) into `cards` of a migrated database, one backend, with its CPU
 * (user + sys from /proc) and WAL bytes per row. Variants:
 *   current     every index of the migrations (pan_hash = the PAN's index key, ascending with the counter)
 *   aes-hash    the same, but pan_hash = AES of the packed PAN (random keys: what releases before 2026-12-03 wrote)
 *   no-last4    current without the hash index on last4
 *   pk-only     the primary key alone
 * A variant name ending in "+" keeps the rows of the variant before it (a table that has grown).
 * Run: node bench/card-index-cost.bench.ts [--rows 300000] [--variants current,current+,aes-hash,aes-hash+,no-last4,pk-only]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTestDatabase } from '@cutover/service-kit/testing';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { deriveCardKeys } from '../services/card-generation/src/cards/card-keys.ts';
import { CardMinter } from '../services/card-generation/src/cards/card-minter.ts';
import { DEFAULT_SANDBOX_BINS, parseSandboxBins } from '../services/card-generation/src/cards/sandbox-bins.ts';
import { buildCopyPayload, COPY_CARDS_SQL } from '../services/card-generation/src/jobs/copy-cards.ts';
import { TEST_MASTER_KEY } from '../services/card-generation/test/support/card-env.ts';
import { migrate } from '../services/card-generation/test/support/test-database.ts';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const ROWS = Number(arg('rows', '300000'));
const VARIANTS = arg('variants', 'current,current+,aes-hash,aes-hash+,no-last4,pk-only').split(',');
const CHUNK = 20_000;
const JOB_ID = '018f0000-0000-7000-8000-000000000000';
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const parsed = parseSandboxBins(DEFAULT_SANDBOX_BINS);
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const bin = parsed.bins.find((b) => b.network === 'visa');
if (!bin) throw new Error('no visa BIN');
const minter = new CardMinter(deriveCardKeys(TEST_MASTER_KEY));
const db = await createTestDatabase('index_cost', { prefix: 'bench' });
let nextCounter = 0;
try {
  await migrate(db.url);
  for (const variant of VARIANTS) {
    const kind = variant.replace(/\+$/, '');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    if (!variant.endsWith('+')) {
      await client.query('TRUNCATE cards');
      await client.query('DROP INDEX IF EXISTS cards_last4_idx');
      await client.query('ALTER TABLE cards DROP CONSTRAINT IF EXISTS cards_pan_hash_key');
      if (kind !== 'pk-only') await client.query('ALTER TABLE cards ADD CONSTRAINT cards_pan_hash_key UNIQUE (pan_hash)');
      if (kind === 'current' || kind === 'aes-hash') await client.query('CREATE INDEX cards_last4_idx ON cards USING hash (last4)');
    }
    const {
      rows: [{ pid }],
    } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const {
      rows: [{ lsn }],
    } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn');
    let backendCpu = 0;
    const startedAt = performance.now();
    for (let written = 0; written < ROWS; written += CHUNK) {
      const batch = minter.mintBatch(bin, CardMinter.range(nextCounter, CHUNK));
      nextCounter += CHUNK;
      let payload = buildCopyPayload(batch, JOB_ID);
      if (kind === 'aes-hash') {
        // 16-byte AES values in pan_hash, random in order as the older hashes were (AES of the keys
        // here rather than of the packed PANs: the same cost to the index).
        const hashes = Buffer.alloc(CHUNK * 16);
        const plain = Buffer.alloc(CHUNK * 16);
        for (let k = 0; k < CHUNK; k++) plain.set(batch.panKeys.subarray(k * 11, k * 11 + 11), k * 16);
        minter.crypto.hashPacked(plain, hashes);
        payload = buildCopyPayload({ ...batch, panKeys: hashes }, JOB_ID, 16);
      }
      const before = cpuSeconds(pid);
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit = off');
      await pipeline(Readable.from([payload]), client.query(copyFrom(COPY_CARDS_SQL)));
      await client.query('COMMIT');
      backendCpu += cpuSeconds(pid) - before;
    }
    const {
      rows: [{ wal }],
    } = await client.query<{ wal: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS wal', [lsn]);
    const {
      rows: [{ total }],
    } = await client.query<{ total: number }>('SELECT count(*)::int AS total FROM cards');
    console.log(
      `${variant.padEnd(10)} ${ROWS} rows (table now ${total}): backend CPU ${backendCpu.toFixed(2)} s = ${((backendCpu * 1e6) / ROWS).toFixed(1)} us/row, WAL ${Math.round(Number(wal) / ROWS)} B/row, wall ${Math.round(performance.now() - startedAt)} ms; load ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
    );
    await client.end();
  }
} finally {
  await db.drop();
}
