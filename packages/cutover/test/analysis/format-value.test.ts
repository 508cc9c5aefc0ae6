import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNumber, formatValue } from '../../src/analysis/format-value.ts';

describe('formatValue', () => {
  test('shows values in their unit with at most 4 significant digits', () => {
    assert.deepEqual(
      [
        formatValue(0.052, 'ratio'),
        formatValue(0.01, 'ratio'),
        formatValue(231.456, 'ms'),
        formatValue(12, 'count'),
        formatValue(1.5, 's'),
        formatValue(99.5, 'percent'),
      ],
      ['5.2%', '1%', '231.5ms', '12', '1.5s', '99.5%'],
    );
    assert.deepEqual([0, 1234.5, 1 / 3, -3.14259, Number.POSITIVE_INFINITY].map(formatNumber), [
      '0',
      '1235',
      '0.3333',
      '-3.143',
      'Infinity',
    ]);
  });
});
