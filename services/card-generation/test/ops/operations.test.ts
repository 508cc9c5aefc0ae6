// The guide's operations, run as the npm scripts run them (node src/ops/<name>.ts) against a real
// database: validate:uniqueness proves uniqueness and fails on a planted duplicate or a foreign
// PAN, migrate:data raises counters a restore put behind, bloom:sync rebuilds the search index,
// uniqueness:cleanup and cache:warm do their part, and the migrations roll back and forward.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { waitFor } from '@cutover/service-kit/testing';
import { deriveCardKeys } from '../../src/cards/card-keys.ts';
import { CardMinter } from '../../src/cards/card-minter.ts';
import { cardEnv, TEST_MASTER_KEY } from '../support/card-env.ts';
import { getJson, type InProcessApi, type InProcessWorker, postJson, startApi, startWorker } from '../support/in-process.ts';
import { SERVICE_DIR } from '../support/paths.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';
import { createMigratedDatabase, migrate, type TestDatabase } from '../support/test-database.ts';

const exec = promisify(execFile);

describe('operations', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: InProcessApi;
  let worker: InProcessWorker;
  let env: Record<string, string>;

  async function runOp(name: string, args: string[] = []): Promise<{ code: number; result: Record<string, unknown> }> {
    try {
      const { stdout } = await exec(process.execPath, [`src/ops/${name}.ts`, '--json', ...args], {
        cwd: SERVICE_DIR,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 120_000,
      });
      return { code: 0, result: JSON.parse(stdout) };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw error;
      try {
        return { code: e.code, result: JSON.parse(e.stdout ?? '') };
      } catch {
        throw new Error(`${name} exited ${e.code}: ${e.stdout}\n${e.stderr}`);
      }
    }
  }

  before(async () => {
    db = await createMigratedDatabase('ops');
    redis = redisPrefix('ops');
    env = cardEnv(db.url, redis.prefix, { BULK_CHUNK_SIZE: '1000' });
    api = await startApi(env);
    worker = await startWorker(env);
    for (const network of ['visa', 'amex', 'diners']) await postJson(`${api.url}/api/v1/cards`, { network, count: 50 });
    const job = (await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'unionpay', count: 5_000 })).body.job;
    await waitFor(
      'the bulk job',
      async () => ((await getJson(`${api.url}/api/v1/jobs/${job.id}`)).body.job.state === 'completed' ? true : undefined),
      60_000,
      100,
    );
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  test('validate:uniqueness passes over the cards written, and fails on a planted duplicate or an altered ciphertext', async () => {
    const good = await runOp('validate-uniqueness');
    assert.equal(good.code, 0, JSON.stringify(good.result));
    assert.equal(good.result.cards, 5_150);
    const viaApi = await getJson(`${api.url}/api/v1/admin/uniqueness`);
    assert.equal(viaApi.status, 200);
    assert.equal(viaApi.body.cards, 5_150);
    // A copy of another card's ciphertext under a fresh id and counter: the PAN repeats.
    await db.pool.query(
      `INSERT INTO cards (id, bin, counter, last4, pan_hash, pan_ciphertext, expiry_month, expiry_year)
       SELECT gen_random_uuid(), bin, counter + 900000000, last4, decode(md5(random()::text), 'hex'), pan_ciphertext, expiry_month, expiry_year
         FROM cards WHERE bin = '400000' LIMIT 1`,
    );
    const planted = await runOp('validate-uniqueness');
    assert.equal(planted.code, 1);
    const problems = planted.result.problems as Record<string, number>;
    assert.equal(problems.duplicate, 1);
    assert.equal(problems['not-constructed'], 1, 'its counter does not construct that PAN');
    assert.equal(problems['index-mismatch'], 1);
    assert.equal((await getJson(`${api.url}/api/v1/admin/uniqueness`)).status, 409, 'the deploy validation fails too');
    await db.pool.query('DELETE FROM cards WHERE counter >= 900000000');
    // An unreadable ciphertext (altered at rest).
    await db.pool.query(
      `UPDATE cards SET pan_ciphertext = set_byte(pan_ciphertext, 40, get_byte(pan_ciphertext, 40) # 1) WHERE id = (SELECT id FROM cards WHERE bin = '370000' LIMIT 1)`,
    );
    const altered = await runOp('validate-uniqueness');
    assert.equal(altered.code, 1);
    assert.equal((altered.result.problems as Record<string, number>).unreadable, 1);
  });

  test('migrate:data raises a BIN counter that fell behind its cards (as after restoring card_bins alone)', async () => {
    await db.pool.query(`UPDATE card_bins SET next_counter = 10 WHERE bin = '620000'`);
    const { code, result } = await runOp('migrate-data');
    assert.equal(code, 0, JSON.stringify(result));
    assert.deepEqual(result.raised, [{ bin: '620000', from: 10, to: 5_000 }]);
    const again = await runOp('migrate-data');
    assert.deepEqual(again.result.raised, []);
    assert.deepEqual(again.result.panKeys, { rewritten: 0, skipped: 0 });
  });

  test('migrate:data gives rows of an older release (AES pan_hash) the index key', async () => {
    const { rows } = await db.pool.query<{ id: string; pan_hash: Buffer; pan_ciphertext: Buffer }>(
      `SELECT id, pan_hash, pan_ciphertext FROM cards WHERE bin = '400000' ORDER BY id LIMIT 3`,
    );
    const minter = new CardMinter(deriveCardKeys(TEST_MASTER_KEY));
    for (const row of rows) {
      const opened = minter.crypto.open([row.pan_ciphertext])[0];
      assert.ok(opened);
      await db.pool.query('UPDATE cards SET pan_hash = $2 WHERE id = $1', [row.id, minter.crypto.hashPan(opened.pan)]);
    }
    const { code, result } = await runOp('migrate-data');
    assert.equal(code, 0, JSON.stringify(result));
    assert.deepEqual(result.panKeys, { rewritten: 3, skipped: 0 });
    const after = await db.pool.query<{ id: string; pan_hash: Buffer }>(
      'SELECT id, pan_hash FROM cards WHERE id = ANY($1::uuid[]) ORDER BY id',
      [rows.map((r) => r.id)],
    );
    assert.deepEqual(
      after.rows.map((r) => r.pan_hash),
      rows.map((r) => r.pan_hash),
    );
  });

  test('bloom:sync rebuilds the search index; uniqueness:cleanup and cache:warm succeed', async () => {
    const bloom = await runOp('bloom-sync');
    assert.equal(bloom.code, 0, JSON.stringify(bloom.result));
    assert.equal(bloom.result.valid, true);
    assert.ok(Number(bloom.result.bytesAfter) > 0);
    const cleanup = await runOp('uniqueness-cleanup', ['--retention-days', '0']);
    assert.equal(cleanup.code, 0, JSON.stringify(cleanup.result));
    assert.ok(Number(cleanup.result.chunkRecords) >= 5, 'chunk records of the finished job are gone');
    const warm = await runOp('cache-warm', ['--cards', '100']);
    assert.equal(warm.code, 0);
    assert.equal(warm.result.cards, 100);
    const keys = await redis.redis.keys(`${redis.prefix}cg:cache:card:*`);
    assert.ok(keys.length >= 100);
  });

  test('migrate:rollback takes the migrations down and up again', async () => {
    const scratch = await createMigratedDatabase('ops_rollback');
    try {
      const index = async (name: string) => (await scratch.pool.query(`SELECT to_regclass($1) AS idx`, [name])).rows[0].idx;
      assert.equal(await index('cards_bin_counter_key'), null, '0006 dropped UNIQUE (bin, counter)');
      assert.equal(await index('cards_lookup_bloom_idx'), null, '0007 dropped the bloom index');
      assert.equal(await index('cards_last4_idx'), 'cards_last4_idx');
      await migrate(scratch.url, ['down', '--steps', '1']);
      assert.equal(await index('cards_lookup_bloom_idx'), 'cards_lookup_bloom_idx', "0007's down builds the bloom index again");
      assert.equal(await index('cards_last4_idx'), null);
      await migrate(scratch.url, ['down', '--steps', '1']);
      assert.equal(await index('cards_bin_counter_key'), 'cards_bin_counter_key', "0006's down builds the index again");
      await migrate(scratch.url, ['down', '--steps', '5']);
      const { rows } = await scratch.pool.query(`SELECT to_regclass('cards') AS cards, to_regclass('card_bins') AS bins`);
      assert.deepEqual(rows[0], { cards: null, bins: null });
      await migrate(scratch.url, ['up']);
      assert.equal(await index('cards_last4_idx'), 'cards_last4_idx');
      assert.equal(await index('cards_lookup_bloom_idx'), null);
      assert.equal(await index('cards_bin_counter_key'), null);
    } finally {
      await scratch.drop();
    }
  });
});
