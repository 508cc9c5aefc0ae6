import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readJsonMeasurement, readNumber, reduceNumbers } from '../../src/analysis/read-number.ts';

describe('readNumber', () => {
  test('numbers and numeric strings, including the Prometheus spellings of NaN and infinity', () => {
    assert.deepEqual(readNumber(0.5), { kind: 'number', value: 0.5 });
    assert.deepEqual(readNumber(' 1e-3 '), { kind: 'number', value: 0.001 });
    assert.deepEqual(readNumber('NaN'), { kind: 'nan' });
    assert.deepEqual(readNumber(Number.NaN), { kind: 'nan' });
    assert.deepEqual(readNumber('+Inf'), { kind: 'infinite', value: Number.POSITIVE_INFINITY });
    assert.deepEqual(readNumber('-Inf'), { kind: 'infinite', value: Number.NEGATIVE_INFINITY });
  });

  test('never coerces what Number() would: empty strings, booleans, null, hex, arrays', () => {
    for (const value of ['', ' ', true, null, '0x10', [1], {}, '12ms']) {
      assert.equal(readNumber(value).kind, 'invalid', JSON.stringify(value));
    }
  });
});

describe('reduceNumbers', () => {
  test('single refuses several values; the others fold them', () => {
    assert.ok('error' in reduceNumbers([1, 2], 'single'));
    assert.deepEqual(
      (['single', 'sum', 'avg', 'min', 'max'] as const).map((r) => reduceNumbers(r === 'single' ? [4] : [4, 1, 7], r)),
      [{ value: 4 }, { value: 12 }, { value: 4 }, { value: 1 }, { value: 7 }],
    );
  });
});

describe('readJsonMeasurement', () => {
  test('a value, no data, or an error: never a non-finite number', () => {
    assert.equal(readJsonMeasurement(3, 'single', 'q', '$').outcome, 'value');
    for (const value of [null, 'NaN', []])
      assert.equal(readJsonMeasurement(value, 'single', 'q', '$').outcome, 'no-data', JSON.stringify(value));
    for (const value of [undefined, '+Inf', 'x', true, {}, [1, 'x'], [1, '+Inf']]) {
      assert.equal(readJsonMeasurement(value, 'max', 'q', '$').outcome, 'error', JSON.stringify(value));
    }
  });
});
