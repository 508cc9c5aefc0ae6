// pan_hash, the PAN's index key (src/cards/pan-key.ts): a bijection of the sandbox PANs computed from
// their digits, ascending with the counter inside a BIN, and distinct from the older AES hashes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveCardKeys } from '../../src/cards/card-keys.ts';
import { CardMinter } from '../../src/cards/card-minter.ts';
import { PAN_KEY_BYTES } from '../../src/cards/pan-key.ts';
import { parseSandboxBins } from '../../src/cards/sandbox-bins.ts';
import { TEST_MASTER_KEY } from '../support/card-env.ts';

const minter = new CardMinter(deriveCardKeys(TEST_MASTER_KEY));
const parsed = parseSandboxBins('visa:400000,amex:370000,visa:4111111111111:16,visa:411111:19,mastercard:510000');
assert.ok(parsed.ok);
const bins = parsed.bins;

test('the key is the PAN with its account digits deciphered to the counter, in BCD', () => {
  const bin = bins[0];
  const [card] = minter.mint(bin, [123_456_789]);
  assert.equal(card.panKey.length, PAN_KEY_BYTES);
  // 16 digits: 400000, the counter at 9 digits, the PAN's check digit, then F padding.
  assert.equal(card.panKey.toString('hex'), `10400000123456789${card.pan.at(-1)}ffff`);
  assert.deepEqual(minter.panKey(bin, card.pan), card.panKey);
});

test('ascending with the counter inside a BIN, for every PAN length', () => {
  for (const bin of bins) {
    const counters = [...new Set([0, 1, 2, 9, 10, 99, 1000, bin.capacity - 2, bin.capacity - 1])]
      .filter((c) => c < bin.capacity)
      .sort((a, b) => a - b);
    const keys = minter.mint(bin, counters).map((c) => c.panKey);
    for (let i = 1; i < keys.length; i++) assert.ok(Buffer.compare(keys[i - 1], keys[i]) < 0, `${bin.bin}: counter ${counters[i]}`);
  }
});

test('a bijection: every PAN of a 2-digit account field (Luhn-valid or not) has its own key', () => {
  const bin = bins[2];
  assert.equal(bin.accountDigits, 2);
  const seen = new Set<string>();
  for (let account = 0; account < 100; account++)
    for (let check = 0; check < 10; check++) {
      const pan = `${bin.bin}${String(account).padStart(2, '0')}${check}`;
      seen.add(minter.panKey(bin, pan).toString('hex'));
    }
  assert.equal(seen.size, 1000);
  // And the minted PANs of all 100 counters have the keys of their counters.
  const cards = minter.mint(bin, CardMinter.range(0, 100));
  for (const [k, c] of cards.entries())
    assert.equal(c.panKey.toString('hex').slice(2, 2 + 15), `4111111111111${String(k).padStart(2, '0')}`);
});

test('keys of PANs of different BINs differ, and a PAN outside its BIN is refused', () => {
  const keys = new Set(bins.flatMap((bin) => minter.mint(bin, CardMinter.range(0, 50)).map((c) => c.panKey.toString('hex'))));
  assert.equal(keys.size, bins.length * 50);
  assert.throws(() => minter.panKey(bins[0], '5100001234567890'), /not a PAN of BIN 400000/);
  assert.throws(() => minter.panKey(bins[0], '40000012345678'), /not a PAN of BIN 400000/);
});
