// FF1 against NIST's published FF1 samples (SP 800-38G examples: AES-128/192/256, radix 10 and 36,
// with and without tweak), the fast decimal form against the reference on random inputs, and the
// permutation property checked exhaustively on small domains.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { Ff1 } from '../../src/crypto/ff1.ts';
import { Ff1Decimal } from '../../src/crypto/ff1-decimal.ts';

const K128 = '2B7E151628AED2A6ABF7158809CF4F3C';
const K192 = `${K128}EF4359D8D580AA4F`;
const K256 = `${K192}7F036D6F04FC6A94`;
const T10 = '39383736353433323130';
const T11 = '3737373770717273373737';

const NIST_SAMPLES = [
  { sample: 1, key: K128, radix: 10, tweak: '', plaintext: '0123456789', ciphertext: '2433477484' },
  { sample: 2, key: K128, radix: 10, tweak: T10, plaintext: '0123456789', ciphertext: '6124200773' },
  { sample: 3, key: K128, radix: 36, tweak: T11, plaintext: '0123456789abcdefghi', ciphertext: 'a9tv40mll9kdu509eum' },
  { sample: 4, key: K192, radix: 10, tweak: '', plaintext: '0123456789', ciphertext: '2830668132' },
  { sample: 5, key: K192, radix: 10, tweak: T10, plaintext: '0123456789', ciphertext: '2496655549' },
  { sample: 6, key: K192, radix: 36, tweak: T11, plaintext: '0123456789abcdefghi', ciphertext: 'xbj3kv35jrawxv32ysr' },
  { sample: 7, key: K256, radix: 10, tweak: '', plaintext: '0123456789', ciphertext: '6657667009' },
  { sample: 8, key: K256, radix: 10, tweak: T10, plaintext: '0123456789', ciphertext: '1001623463' },
  { sample: 9, key: K256, radix: 36, tweak: T11, plaintext: '0123456789abcdefghi', ciphertext: 'xs8a0azh2avyalyzuwd' },
];

for (const s of NIST_SAMPLES) {
  test(`NIST FF1 sample ${s.sample}: encrypts to the published ciphertext and decrypts back`, () => {
    const ff1 = new Ff1(Buffer.from(s.key, 'hex'), s.radix);
    const tweak = Buffer.from(s.tweak, 'hex');
    assert.equal(ff1.encrypt(s.plaintext, tweak), s.ciphertext);
    assert.equal(ff1.decrypt(s.ciphertext, tweak), s.plaintext);
    if (s.radix === 10) {
      const decimal = new Ff1Decimal(Buffer.from(s.key, 'hex'), 10, tweak);
      assert.equal(String(decimal.encrypt(123456789)).padStart(10, '0'), s.ciphertext);
      assert.equal(decimal.decrypt(Number(s.ciphertext)), 123456789);
    }
  });
}

test('the decimal batch form gives the reference outputs for every length 2..12 and random keys and tweaks', () => {
  for (let digits = 2; digits <= 12; digits++) {
    const key = randomBytes(32);
    const tweak = randomBytes(randomInt(0, 10));
    const fast = new Ff1Decimal(key, digits, tweak);
    const reference = new Ff1(key, 10);
    const inputs = Float64Array.from({ length: 50 }, () => Math.floor(Math.random() * 10 ** digits));
    inputs[0] = 0;
    inputs[1] = 10 ** digits - 1;
    const outputs = fast.encryptInPlace(Float64Array.from(inputs));
    for (let k = 0; k < inputs.length; k++) {
      const x = String(inputs[k]).padStart(digits, '0');
      assert.equal(String(outputs[k]).padStart(digits, '0'), reference.encrypt(x, tweak), `${digits} digits, input ${x}`);
    }
    const decrypted = fast.decryptInPlace(Float64Array.from(inputs));
    for (let k = 0; k < inputs.length; k++) {
      const x = String(inputs[k]).padStart(digits, '0');
      assert.equal(String(decrypted[k]).padStart(digits, '0'), reference.decrypt(x, tweak), `${digits} digits, decrypting ${x}`);
    }
    assert.deepEqual(fast.decryptInPlace(outputs), inputs);
  }
});

test('FF1 is a bijection: exhaustively on the domains of 2, 3, 4 and 5 digits', () => {
  for (const digits of [2, 3, 4, 5]) {
    const size = 10 ** digits;
    const ff1 = new Ff1Decimal(randomBytes(32), digits, Buffer.from('bin'));
    const outputs = ff1.encryptRange(0, size);
    const seen = new Uint8Array(size);
    for (const y of outputs) {
      assert.ok(Number.isInteger(y) && y >= 0 && y < size, `output ${y} in the domain`);
      seen[y]++;
    }
    assert.ok(
      seen.every((n) => n === 1),
      `every one of the ${size} values is hit exactly once`,
    );
  }
});

test('different tweaks (BINs) give different permutations of the same counters', () => {
  const key = randomBytes(32);
  const a = new Ff1Decimal(key, 9, Buffer.from('400000')).encryptRange(0, 100);
  const b = new Ff1Decimal(key, 9, Buffer.from('400001')).encryptRange(0, 100);
  assert.ok(a.some((x, i) => x !== b[i]));
});

test('inputs and parameters outside the domain are refused', () => {
  const key = randomBytes(32);
  assert.throws(() => new Ff1Decimal(key, 1), /2\.\.12 digits/);
  assert.throws(() => new Ff1Decimal(key, 13), /2\.\.12 digits/);
  assert.throws(() => new Ff1Decimal(key, 9, Buffer.alloc(13)), /tweak too long/);
  assert.throws(() => new Ff1Decimal(key, 3).encrypt(1000), /outside/);
  assert.throws(() => new Ff1(key).encrypt('1'), /at least 100/);
  assert.throws(() => new Ff1(key).encrypt('12a4'), /not a radix-10 numeral/);
  assert.throws(() => new Ff1(Buffer.alloc(20)), /16, 24 or 32 bytes/);
});
