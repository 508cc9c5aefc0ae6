import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mannWhitneyU, rankWithTies } from '../../src/analysis/mann-whitney.ts';
import { erfc, normalSf } from '../../src/analysis/normal-tail.ts';

// Expected values were computed once with scipy 1.17.1 (scipy.stats.mannwhitneyu, norm.sf, special.erfc)
// and are hard-coded here; the tests never call Python.

function close(actual: number, expected: number, relative = 1e-9) {
  const tolerance = Math.max(Math.abs(expected) * relative, 1e-300);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${relative} of ${expected}`);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const CASES: Record<string, [number[], number[]]> = {
  'exact-small': [
    [1.1, 2.3, 3.7, 4.2, 5.9],
    [0.5, 0.9, 1.4, 2.0, 2.8, 3.1],
  ],
  'exact-one-small': [
    [10, 12, 15, 18],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 11],
  ],
  ties: [
    [1, 2, 2, 3, 3, 3, 4],
    [2, 3, 4, 4, 5, 5, 6],
  ],
  'large-det': [Array.from({ length: 30 }, (_, i) => 100 + ((i * 37) % 23)), Array.from({ length: 40 }, (_, i) => 95 + ((i * 29) % 19))],
  'all-equal': [Array(10).fill(5), Array(10).fill(5)],
  separated: [range(100, 160), range(0, 60)],
};

// [case, alternative, U, p, method]
const EXPECTED: [string, 'greater' | 'less' | 'two-sided', number, number, 'exact' | 'asymptotic'][] = [
  ['exact-small', 'greater', 24, 0.06277056277056277, 'exact'],
  ['exact-small', 'less', 24, 0.9588744588744589, 'exact'],
  ['exact-small', 'two-sided', 24, 0.12554112554112554, 'exact'],
  ['exact-one-small', 'greater', 39, 0.001998001998001998, 'exact'],
  ['exact-one-small', 'less', 39, 0.9990009990009989, 'exact'],
  ['exact-one-small', 'two-sided', 39, 0.003996003996003996, 'exact'],
  ['ties', 'greater', 8.5, 0.9843697313699247, 'asymptotic'],
  ['ties', 'less', 8.5, 0.021525716364472567, 'asymptotic'],
  ['ties', 'two-sided', 8.5, 0.043051432728945134, 'asymptotic'],
  ['large-det', 'greater', 920, 7.378540434590131e-5, 'asymptotic'],
  ['large-det', 'less', 920, 0.9999296687477852, 'asymptotic'],
  ['large-det', 'two-sided', 920, 0.00014757080869180262, 'asymptotic'],
  ['all-equal', 'greater', 50, 1, 'asymptotic'],
  ['all-equal', 'two-sided', 50, 1, 'asymptotic'],
  ['separated', 'greater', 3600, 1.7782854874923613e-21, 'asymptotic'],
  ['separated', 'less', 3600, 1, 'asymptotic'],
  ['separated', 'two-sided', 3600, 3.5565709749847226e-21, 'asymptotic'],
];

describe('mannWhitneyU matches scipy.stats.mannwhitneyu', () => {
  for (const [name, alternative, u, p, method] of EXPECTED) {
    test(`${name}, ${alternative}`, () => {
      const [x, y] = CASES[name];
      const result = mannWhitneyU(x, y, { alternative });
      assert.equal(result.u, u);
      assert.equal(result.method, method);
      close(result.pValue, p);
    });
  }

  test('without continuity correction', () => {
    const [x, y] = CASES['large-det'];
    close(mannWhitneyU(x, y, { alternative: 'greater', continuity: false }).pValue, 7.20388347043825e-5);
  });

  test('exact and asymptotic forced on the same 12 vs 13 samples', () => {
    const x = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5];
    const y = range(3, 16);
    close(mannWhitneyU(x, y, { alternative: 'less', method: 'exact' }).pValue, 0.11270676691729321);
    close(mannWhitneyU(x, y, { alternative: 'less', method: 'asymptotic' }).pValue, 0.11050654859680908);
    assert.equal(mannWhitneyU(x, y, { alternative: 'less' }).method, 'asymptotic');
  });

  test('x and y swapped: U becomes n1*n2 - U and greater becomes less', () => {
    const [x, y] = CASES['exact-small'];
    const swapped = mannWhitneyU(y, x, { alternative: 'less' });
    assert.equal(swapped.u, 30 - 24);
    close(swapped.pValue, 0.06277056277056277);
  });

  test('refuses empty samples and non-finite values', () => {
    assert.throws(() => mannWhitneyU([], [1]), RangeError);
    assert.throws(() => mannWhitneyU([1, Number.NaN], [1, 2]), RangeError);
    assert.throws(() => mannWhitneyU([1, 2], [Number.POSITIVE_INFINITY]), RangeError);
  });
});

describe('rankWithTies', () => {
  test('averages the ranks of tied values and reports each tie group', () => {
    assert.deepEqual(rankWithTies([10, 20, 20, 5, 20, 7]), { ranks: [3, 5, 5, 1, 5, 2], tieGroups: [3] });
    assert.deepEqual(rankWithTies([1, 1, 2, 2]), { ranks: [1.5, 1.5, 3.5, 3.5], tieGroups: [2, 2] });
  });
});

describe('normal tail', () => {
  test('normalSf and erfc match scipy to 1e-12 relative, far into the tail', () => {
    const sf: [number, number][] = [
      [-3, 0.9986501019683699],
      [0, 0.5],
      [1, 0.15865525393145707],
      [1.6448536269514722, 0.050000000000000044],
      [1.96, 0.024997895148220435],
      [3, 0.0013498980316300933],
      [5, 2.866515718791933e-7],
      [8, 6.22096057427174e-16],
      [10, 7.61985302416047e-24],
      [20, 2.7536241186061556e-89],
    ];
    for (const [z, expected] of sf) close(normalSf(z), expected, 1e-12);
    const erfcs: [number, number][] = [
      [0.1, 0.8875370839817152],
      [1.99, 0.004888586800383002],
      [2, 0.004677734981047266],
      [2.01, 0.004475150644751764],
      [6, 2.1519736712498913e-17],
    ];
    for (const [x, expected] of erfcs) close(erfc(x), expected, 1e-12);
  });
});
