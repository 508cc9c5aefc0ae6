import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CURRENCY_EXPONENTS, currencyExponent, formatMinorUnits, MAX_AMOUNT_MINOR_UNITS } from '../src/currency.ts';
import { decodeCursor, encodeCursor } from '../src/payment-cursor.ts';

describe('currencies', () => {
  test('minor-unit exponents of ISO 4217', () => {
    assert.equal(currencyExponent('EUR'), 2);
    assert.equal(currencyExponent('JPY'), 0);
    assert.equal(currencyExponent('KRW'), 0);
    assert.equal(currencyExponent('BHD'), 3);
    assert.equal(currencyExponent('KWD'), 3);
    assert.equal(currencyExponent('CLF'), 4);
    assert.equal(currencyExponent('eur'), undefined);
    assert.equal(currencyExponent('XXX'), undefined);
    assert.equal(currencyExponent('constructor'), undefined, 'no prototype keys');
    for (const [code, exponent] of Object.entries(CURRENCY_EXPONENTS)) {
      assert.match(code, /^[A-Z]{3}$/);
      assert.ok([0, 2, 3, 4].includes(exponent), code);
    }
  });

  test('formatting minor units', () => {
    assert.equal(formatMinorUnits(1234, 'EUR'), '12.34');
    assert.equal(formatMinorUnits(5, 'USD'), '0.05');
    assert.equal(formatMinorUnits(500, 'JPY'), '500');
    assert.equal(formatMinorUnits(1, 'BHD'), '0.001');
    assert.equal(formatMinorUnits(12345, 'CLF'), '1.2345');
    assert.throws(() => formatMinorUnits(1, 'XXX'), /unknown currency/);
  });

  test('the largest amount survives JSON numbers exactly', () => {
    assert.ok(Number.isSafeInteger(MAX_AMOUNT_MINOR_UNITS));
    assert.equal(JSON.parse(JSON.stringify(MAX_AMOUNT_MINOR_UNITS)), MAX_AMOUNT_MINOR_UNITS);
  });
});

describe('list cursors', () => {
  test('round trip, and anything else is refused', () => {
    assert.equal(decodeCursor(encodeCursor(42)), 42);
    assert.equal(decodeCursor(encodeCursor(9_007_199_254_740_991)), 9_007_199_254_740_991);
    for (const bad of [
      '',
      'abc',
      Buffer.from('p1:0').toString('base64url'),
      Buffer.from('p1:-1').toString('base64url'),
      'a'.repeat(65),
      '%%%',
    ]) {
      assert.equal(decodeCursor(bad), null, bad);
    }
  });
});
