// The binary COPY of a bulk chunk, against a real PostgreSQL: every field of every card reads back
// as minted (counters above 2^32 included), and the columns of a batch are the cards `mint` gives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deriveCardKeys } from '../../src/cards/card-keys.ts';
import { CardMinter, cardsOf } from '../../src/cards/card-minter.ts';
import { DEFAULT_SANDBOX_BINS, parseSandboxBins, type SandboxBin } from '../../src/cards/sandbox-bins.ts';
import { buildCopyPayload, copyCards } from '../../src/jobs/copy-cards.ts';
import { TEST_MASTER_KEY } from '../support/card-env.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';

const JOB_ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
let db: TestDatabase;
let bins: SandboxBin[];
const minter = new CardMinter(deriveCardKeys(TEST_MASTER_KEY));

before(async () => {
  db = await createMigratedDatabase('copy_cards');
  const parsed = parseSandboxBins(DEFAULT_SANDBOX_BINS);
  assert.ok(parsed.ok);
  bins = parsed.bins;
});
after(async () => {
  await db?.drop();
});

test('every field of a binary COPY reads back as minted', async () => {
  // A 19-digit Visa BIN: 12 account digits, so counters go past 2^32.
  const parsed = parseSandboxBins('visa:411111:19');
  assert.ok(parsed.ok);
  const visa = parsed.bins[0];
  const counters = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 7, 123_456_789, visa.capacity - 1];
  const batch = minter.mintBatch(visa, counters);
  const cards = cardsOf(batch);
  assert.deepEqual(
    cards.map((c) => c.pan),
    minter.pans(visa, counters),
    'the batch construction gives the PANs of the reference one',
  );
  const client = await db.pool.connect();
  try {
    await copyCards(client, batch, JOB_ID);
  } finally {
    client.release();
  }
  const { rows } = await db.pool.query(
    'SELECT id, bin, counter, last4, pan_hash, pan_ciphertext, expiry_month, expiry_year, job_id, status FROM cards ORDER BY counter',
  );
  assert.equal(rows.length, cards.length);
  const byCounter = new Map(cards.map((c) => [c.counter, c]));
  for (const row of rows) {
    const card = byCounter.get(Number(row.counter));
    assert.ok(card, `counter ${row.counter} was minted`);
    assert.equal(row.id, card.id);
    assert.equal(row.bin, card.bin);
    assert.equal(row.last4, card.last4);
    assert.deepEqual(row.pan_hash, card.panKey);
    assert.deepEqual(row.pan_ciphertext, card.sealed);
    assert.equal(row.expiry_month, card.expiryMonth);
    assert.equal(row.expiry_year, card.expiryYear);
    assert.equal(row.job_id, JOB_ID);
    assert.equal(row.status, 'active');
    assert.deepEqual(minter.crypto.open([row.pan_ciphertext])[0], { pan: card.pan, cvc: card.cvc });
  }
});

test('an empty batch is a valid payload (header and trailer only)', () => {
  assert.equal(buildCopyPayload(minter.mintBatch(bins[0], []), JOB_ID).length, 11 + 8 + 2);
});
