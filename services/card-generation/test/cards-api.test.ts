// The cards API on a real PostgreSQL and Redis: minting per network, masked reads, validation,
// BIN usage with its 409 on exhaustion, and bad input answered 4xx with a problem body and no change.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isLuhnValid } from '../src/cards/luhn.ts';
import { detectNetwork } from '../src/cards/networks.ts';
import { cardEnv } from './support/card-env.ts';
import { getJson, type InProcessApi, postJson, startApi } from './support/in-process.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

// A 13-digit BIN in a 16-digit PAN leaves 2 account digits: 100 cards, so exhaustion is reachable.
const SMALL_BIN = '4999990000001';
const BINS = `visa:400000,mastercard:510000,mastercard:222300,amex:370000,discover:601100,jcb:352800,unionpay:620000,diners:360000,visa:${SMALL_BIN}`;

describe('cards API', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: InProcessApi;

  before(async () => {
    db = await createMigratedDatabase('cards_api');
    redis = redisPrefix('cards-api');
    api = await startApi(cardEnv(db.url, redis.prefix, { SANDBOX_BINS: BINS, CARD_COUNTER_BLOCK_SIZE: '7' }));
  });
  after(async () => {
    await api?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  const expected = {
    visa: { length: 16, cvc: 3 },
    mastercard: { length: 16, cvc: 3 },
    amex: { length: 15, cvc: 4 },
    discover: { length: 16, cvc: 3 },
    jcb: { length: 16, cvc: 3 },
    unionpay: { length: 16, cvc: 3 },
    diners: { length: 14, cvc: 3 },
  } as const;

  for (const [network, shape] of Object.entries(expected)) {
    test(`${network}: PANs of the right length, Luhn-valid, in a sandbox BIN, detected as ${network}`, async () => {
      const response = await postJson(`${api.url}/api/v1/cards`, { network, count: 20 });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const cards = response.body.cards as {
        pan: string;
        cvc: string;
        bin: string;
        expiryMonth: number;
        expiryYear: number;
        maskedPan: string;
      }[];
      assert.equal(cards.length, 20);
      for (const card of cards) {
        assert.equal(card.pan.length, shape.length, card.maskedPan);
        assert.ok(isLuhnValid(card.pan), card.maskedPan);
        assert.ok(card.pan.startsWith(card.bin));
        assert.equal(detectNetwork(card.pan)?.id, network);
        assert.match(card.cvc, new RegExp(`^\\d{${shape.cvc}}$`));
        assert.ok(card.expiryMonth >= 1 && card.expiryMonth <= 12);
        assert.ok(card.expiryYear > new Date().getUTCFullYear());
        assert.equal(card.maskedPan, `${card.pan.slice(0, 6)}${'*'.repeat(shape.length - 10)}${card.pan.slice(-4)}`);
      }
      assert.equal(new Set(cards.map((c) => c.pan)).size, 20);
    });
  }

  test('a card reads back masked: first 6 and last 4, never the PAN or the CVC', async () => {
    const created = (await postJson(`${api.url}/api/v1/cards`, { network: 'amex' })).body.cards[0];
    const read = await getJson(`${api.url}/api/v1/cards/${created.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.maskedPan, `${created.pan.slice(0, 6)}*****${created.pan.slice(-4)}`);
    const text = JSON.stringify(read.body);
    assert.ok(!text.includes(created.pan), 'the PAN is not in the read');
    assert.equal(read.body.cvc, undefined);
    // Stored encrypted: the PAN appears nowhere in the row.
    const { rows } = await db.pool.query('SELECT * FROM cards WHERE id = $1', [created.id]);
    assert.ok(!JSON.stringify(rows[0]).includes(created.pan));
    assert.ok(!rows[0].pan_ciphertext.toString('latin1').includes(created.pan));
  });

  test('validate: Luhn, network, length and sandbox BIN; issued cards are recognised', async () => {
    const created = (await postJson(`${api.url}/api/v1/cards`, { network: 'visa' })).body.cards[0];
    const own = await postJson(`${api.url}/api/v1/cards/validate`, { pan: created.pan });
    assert.deepEqual(
      { ...own.body, cardId: undefined },
      {
        valid: true,
        luhn: true,
        network: 'visa',
        length: 16,
        lengthValid: true,
        sandboxBin: created.bin,
        issued: true,
        cardId: undefined,
        status: 'active',
      },
    );
    assert.equal(own.body.cardId, created.id);
    const stripe = await postJson(`${api.url}/api/v1/cards/validate`, { pan: '4242424242424242' });
    assert.deepEqual(stripe.body, {
      valid: true,
      luhn: true,
      network: 'visa',
      length: 16,
      lengthValid: true,
      sandboxBin: null,
      issued: false,
    });
    const typo = await postJson(`${api.url}/api/v1/cards/validate`, { pan: '4242424242424241' });
    assert.equal(typo.body.luhn, false);
    assert.equal(typo.body.valid, false);
    const amex16 = await postJson(`${api.url}/api/v1/cards/validate`, { pan: '3700000000000002' });
    assert.equal(amex16.body.network, 'amex');
    assert.equal(amex16.body.lengthValid, false);
  });

  test('bins: capacity, reserved, issued and left; an exhausted BIN answers 409 and issues nothing', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await postJson(`${api.url}/api/v1/cards`, { network: 'visa', bin: SMALL_BIN, count: 20 });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const full = await postJson(`${api.url}/api/v1/cards`, { network: 'visa', bin: SMALL_BIN, count: 1 });
    assert.equal(full.status, 409);
    assert.match(full.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(full.body.code, 'CARD_ERR_BIN_EXHAUSTED');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT pan_hash)::int AS d FROM cards WHERE bin = $1', [
      SMALL_BIN,
    ]);
    assert.deepEqual(rows[0], { n: 100, d: 100 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const bins = await getJson(`${api.url}/api/v1/bins`);
    const small = bins.body.bins.find((b: { bin: string }) => b.bin === SMALL_BIN);
    assert.equal(small.capacity, 100);
    assert.equal(small.reserved, 100);
    assert.equal(small.left, 0);
    assert.equal(small.sandbox, true);
    const visa = bins.body.bins.find((b: { bin: string }) => b.bin === '400000');
    assert.equal(visa.capacity, 1_000_000_000);
    // A bulk job on the exhausted BIN is refused the same way.
    const bulk = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'visa', bin: SMALL_BIN, count: 1 });
    assert.equal(bulk.status, 409);
  });

  test('search by any two of bin, last4, expiry, status (a hash index on last4), masked results', async () => {
    const created = (await postJson(`${api.url}/api/v1/cards`, { network: 'discover', count: 5 })).body.cards;
    const card = created[0];
    const found = await getJson(`${api.url}/api/v1/cards?bin=${card.bin}&last4=${card.pan.slice(-4)}`);
    assert.equal(found.status, 200);
    assert.ok(found.body.cards.some((c: { id: string }) => c.id === card.id));
    assert.ok(!JSON.stringify(found.body).includes(card.pan));
    const byExpiry = await getJson(`${api.url}/api/v1/cards?bin=${card.bin}&expiryMonth=${card.expiryMonth}&expiryYear=${card.expiryYear}`);
    assert.ok(byExpiry.body.cards.every((c: { expiryMonth: number }) => c.expiryMonth === card.expiryMonth));
    const client = await db.pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = await client.query(`EXPLAIN SELECT * FROM cards WHERE last4 = '1234' AND expiry_year = 2030`);
      assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /cards_last4_idx/, 'the last4 index serves last4 + expiry_year');
    } finally {
      client.release();
    }
    const tooVague = await getJson(`${api.url}/api/v1/cards?bin=${card.bin}`);
    assert.equal(tooVague.status, 400);
  });

  test('bad input: a clear 4xx problem and nothing written', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM cards')).rows[0].n;
    const cases: [unknown, number, string][] = [
      [{ network: 'maestro' }, 400, 'network'],
      [{ network: 'visa', count: 0 }, 400, 'count'],
      [{ network: 'visa', count: 101 }, 400, 'count'],
      [{ network: 'visa', bin: '411111' }, 422, 'not a sandbox BIN'],
      [{ network: 'visa', bin: '51' }, 400, 'bin'],
      [{ network: 'visa', extra: 1 }, 400, 'extra'],
      ['{"network": "visa"', 400, 'JSON'],
    ];
    for (const [body, status, mention] of cases) {
      const r = await postJson(`${api.url}/api/v1/cards`, body);
      assert.equal(r.status, status, `${JSON.stringify(body)} -> ${JSON.stringify(r.body)}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(String(r.body.detail).toLowerCase().includes(mention.toLowerCase()), `${r.body.detail} mentions ${mention}`);
    }
    const malformed = await postJson(`${api.url}/api/v1/cards/validate`, { pan: '4242 4242 4242 4242' });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.detail, /pan: must be 12 to 19 digits/);
    const notUuid = await getJson(`${api.url}/api/v1/cards/not-a-card`);
    assert.equal(notUuid.status, 400);
    const unknown = await getJson(`${api.url}/api/v1/cards/00000000-0000-4000-8000-000000000000`);
    assert.equal(unknown.status, 404);
    const bulkTooBig = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'visa', count: 1_000_001 });
    assert.equal(bulkTooBig.status, 400);
    const after = (await db.pool.query('SELECT count(*)::int AS n FROM cards')).rows[0].n;
    assert.equal(after, before);
  });
});
