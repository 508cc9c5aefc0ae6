// The stored form of a card: AES-256-GCM as node:crypto computes it (both directions), a keyed
// index that is a permutation (no two PANs share one), and the minting construction.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CardCrypto, packCard, unpackCard } from '../../src/cards/card-crypto.ts';
import { deriveCardKeys } from '../../src/cards/card-keys.ts';
import { CardMinter } from '../../src/cards/card-minter.ts';
import { isLuhnValid } from '../../src/cards/luhn.ts';
import { parseSandboxBins } from '../../src/cards/sandbox-bins.ts';
import { GcmSingleBlock, gfMultiply } from '../../src/crypto/gcm-single-block.ts';

test('batch GCM output decrypts with node:crypto, and node:crypto output opens with the batch form', () => {
  const key = randomBytes(32);
  const gcm = new GcmSingleBlock(key);
  const count = 500;
  const plain = randomBytes(count * 16);
  const ivs = randomBytes(count * 12);
  const sealed = gcm.sealBlocks(plain, ivs);
  for (let k = 0; k < count; k++) {
    const s = sealed.subarray(k * 44, k * 44 + 44);
    const decipher = createDecipheriv('aes-256-gcm', key, s.subarray(0, 12));
    decipher.setAuthTag(s.subarray(12, 28));
    assert.deepEqual(Buffer.concat([decipher.update(s.subarray(28)), decipher.final()]), plain.subarray(k * 16, k * 16 + 16));
  }
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = cipher.update(plain.subarray(0, 16));
  cipher.final();
  const fromNode = Buffer.concat([iv, cipher.getAuthTag(), body]);
  assert.deepEqual(gcm.openBlocks([fromNode])[0], plain.subarray(0, 16));
  const tampered = Buffer.from(fromNode);
  tampered[40] ^= 1;
  assert.equal(gcm.openBlocks([tampered])[0], undefined, 'an altered ciphertext does not open');
});

test('GF(2^128) multiplication: 1 is the identity (0x80 || 0^120 in GCM bit order) and it commutes', () => {
  const one = 1n << 127n;
  const x = BigInt(`0x${randomBytes(16).toString('hex')}`);
  const y = BigInt(`0x${randomBytes(16).toString('hex')}`);
  assert.equal(gfMultiply(one, x), x);
  assert.equal(gfMultiply(x, y), gfMultiply(y, x));
});

test('pack/unpack round-trips 12-19 digit PANs with 3 or 4 digit CVCs', () => {
  for (const [pan, cvc] of [
    ['400000123456', '123'],
    ['370000123456789', '1234'],
    ['6200001234567890123', '000'],
  ])
    assert.deepEqual(unpackCard(packCard(pan, cvc)), { pan, cvc });
});

test('the PAN index is injective and keyed: distinct PANs, distinct hashes; another key, other hashes', () => {
  const crypto = new CardCrypto(deriveCardKeys('01'.repeat(32)));
  const pans = Array.from({ length: 20_000 }, (_, i) => `4000000${String(i).padStart(9, '0')}`);
  const hashes = crypto.hashPans(pans).map((h) => h.toString('hex'));
  assert.equal(new Set(hashes).size, pans.length);
  const other = new CardCrypto(deriveCardKeys('02'.repeat(32)));
  assert.notEqual(other.hashPan(pans[0]).toString('hex'), hashes[0]);
  assert.equal(crypto.hashPan(pans[0]).toString('hex'), hashes[0]);
});

test('minting: PANs of a BIN are BIN || FF1(counter) || Luhn, distinct, and open from their ciphertext', () => {
  const parsed = parseSandboxBins('visa:400000,amex:370000');
  assert.ok(parsed.ok);
  const minter = new CardMinter(deriveCardKeys('03'.repeat(32)));
  for (const bin of parsed.bins) {
    const cards = minter.mint(bin, CardMinter.range(1_000, 5_000));
    assert.equal(new Set(cards.map((c) => c.pan)).size, cards.length);
    const opened = minter.crypto.open(cards.map((c) => c.sealed));
    cards.forEach((card, k) => {
      assert.ok(isLuhnValid(card.pan) && card.pan.startsWith(bin.bin) && card.pan.length === bin.panLength);
      assert.deepEqual(opened[k], { pan: card.pan, cvc: card.cvc });
      assert.match(card.cvc, new RegExp(`^\\d{${bin.cvcLength}}$`));
      assert.equal(card.last4, card.pan.slice(-4));
      assert.ok(card.expiryMonth >= 1 && card.expiryMonth <= 12);
    });
    // The batch construction (digits, BCD, one FF1 deciphering for all index keys) agrees with the one-PAN forms.
    assert.deepEqual(
      cards.map((c) => c.pan),
      minter.pans(bin, CardMinter.range(1_000, 5_000)),
    );
    for (const card of cards.slice(0, 200)) assert.deepEqual(card.panKey, minter.panKey(bin, card.pan));
    // Deterministic in the counter: the same counters always give the same PANs (a replay never mints new ones).
    assert.deepEqual(minter.pans(bin, [1_000, 1_001]), [cards[0].pan, cards[1].pan]);
  }
});

test('sandbox BIN lists: networks, ranges, lengths, capacity and prefix overlaps are checked', () => {
  const good = parseSandboxBins('visa:400000, mastercard:222300, amex:370000, diners:360000, unionpay:620000:19');
  assert.ok(good.ok);
  assert.deepEqual(
    good.bins.map((b) => [b.bin, b.panLength, b.capacity]),
    [
      ['400000', 16, 1e9],
      ['222300', 16, 1e9],
      ['370000', 15, 1e8],
      ['360000', 14, 1e7],
      ['620000', 19, 1e12],
    ],
  );
  const bad = parseSandboxBins('visa:424242,visa:4242421,visa:51,mastercard:400000,amex:370000:16,maestro:500000,amex:3700000000000');
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok);
  assert.equal(bad.errors.length, 6);
  assert.match(bad.errors.join('\n'), /overlaps visa:424242/);
  assert.match(bad.errors.join('\n'), /outside Mastercard's issuance ranges/);
  assert.match(bad.errors.join('\n'), /American Express PANs are 15 digits long/);
});

test('UUID v7: version and variant bits, the timestamp in front, distinct ids', async () => {
  const { uuidV7Batch } = await import('../../src/cards/uuid-v7.ts');
  // A time after every id this process minted so far (ids never go back in time).
  const ids = uuidV7Batch(10_000, 0x0f23456789ab);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids.slice(0, 100)) {
    assert.match(id, /^0f234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

test('UUID v7: ids of this process only grow, within a batch, across batches of one millisecond and past the counter', async () => {
  const { uuidV7Batch } = await import('../../src/cards/uuid-v7.ts');
  const ms = 0x0f2345678aff;
  const ids = [...uuidV7Batch(1_000, ms), ...uuidV7Batch(300_000, ms), ...uuidV7Batch(10, ms - 5), ...uuidV7Batch(10, ms + 100)];
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `id ${i} follows id ${i - 1}`);
  const msOf = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  assert.equal(msOf(ids[0]), ms);
  assert.equal(msOf(ids[ids.length - 11]), ms + 1, 'the counter ran over: the timestamp moved on by 1 ms');
  assert.equal(msOf(ids[ids.length - 1]), ms + 100);
  for (const id of ids.slice(-100)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('a few counters (the synchronous path, from a cached FF1 window) give what a whole batch gives', () => {
  const parsed = parseSandboxBins('diners:360000,visa:400000');
  assert.ok(parsed.ok);
  const minter = new CardMinter(deriveCardKeys('05'.repeat(32)));
  for (const bin of parsed.bins) {
    const counters = [0, 1, 255, 256, 257, 1_000, 999, bin.capacity - 2, bin.capacity - 1, 3];
    const batch = new CardMinter(deriveCardKeys('05'.repeat(32))).accounts(bin, [...counters, ...CardMinter.range(5_000, 40)]);
    for (const [k, c] of counters.entries()) assert.equal(minter.accounts(bin, [c])[0], batch[k], `counter ${c} of ${bin.bin}`);
    assert.deepEqual(minter.accounts(bin, [256, 0, 257]), Float64Array.of(batch[3], batch[0], batch[4]));
    assert.throws(() => minter.accounts(bin, [bin.capacity]), /outside/);
  }
});
