import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECK_ALGORITHMS, computeCheckCharacter, verifyCheckCharacter } from '../../src/patterns/check-character.ts';

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('check characters', () => {
  test('ISO 7064 MOD 11-2 on published ORCID identifiers', () => {
    assert.equal(computeCheckCharacter('iso7064-mod11-2', '0000-0002-1825-009'), '7');
    assert.equal(computeCheckCharacter('iso7064-mod11-2', '0000-0001-5109-370'), '0');
    assert.equal(computeCheckCharacter('iso7064-mod11-2', '0000-0002-1694-233'), 'X');
  });

  test('Luhn on the textbook number', () => {
    assert.equal(computeCheckCharacter('luhn', '7992739871'), '3');
    assert.ok(verifyCheckCharacter('luhn', '79927398713'));
  });

  test('MOD 37-2: (p + c) mod 37 = 1 for every value, every single substitution and adjacent transposition is caught', () => {
    const next = random(37);
    for (let round = 0; round < 300; round++) {
      const length = 3 + Math.floor(next() * 12);
      let body = '';
      for (let i = 0; i < length; i++) body += ALPHANUMERIC[Math.floor(next() * 36)];
      const check = computeCheckCharacter('iso7064-mod37-2', body);
      assert.match(check, /^[0-9A-Z*]$/);
      assert.ok(verifyCheckCharacter('iso7064-mod37-2', body + check), `${body}${check} verifies`);
      const at = Math.floor(next() * length);
      const replaced = ALPHANUMERIC[(ALPHANUMERIC.indexOf(body[at]) + 1 + Math.floor(next() * 35)) % 36];
      const substituted = body.slice(0, at) + replaced + body.slice(at + 1);
      assert.equal(verifyCheckCharacter('iso7064-mod37-2', substituted + check), false, `substitution at ${at} of ${body}`);
      const swap = Math.min(at, length - 2);
      if (body[swap] !== body[swap + 1]) {
        const transposed = body.slice(0, swap) + body[swap + 1] + body[swap] + body.slice(swap + 2);
        assert.equal(verifyCheckCharacter('iso7064-mod37-2', transposed + check), false, `transposition at ${swap} of ${body}`);
      }
    }
  });

  test('separators do not count; case does not matter', () => {
    for (const algorithm of CHECK_ALGORITHMS) {
      assert.equal(computeCheckCharacter(algorithm, '12-34-56'), computeCheckCharacter(algorithm, '123456'));
    }
    assert.equal(computeCheckCharacter('iso7064-mod37-2', 'sn-ab12'), computeCheckCharacter('iso7064-mod37-2', 'SNAB12'));
  });
});
