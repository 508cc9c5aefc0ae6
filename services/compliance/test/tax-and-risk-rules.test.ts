import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scoreRisk } from '../src/risk/risk-score.ts';
import { needs1099K, taxYearOf } from '../src/tax/tax-threshold.ts';

describe('the 1099-K threshold at its edges (more than $20,000 and more than 200 transactions)', () => {
  const rule = { minGrossCents: 2_000_000, minTransactions: 200 };
  test('both must be strictly exceeded', () => {
    const table: [number, number, boolean][] = [
      [2_000_000, 201, false], // exactly $20,000
      [2_000_001, 201, true],
      [2_000_001, 200, false], // exactly 200 transactions
      [5_000_000, 150, false],
      [1_000_000, 900, false],
      [2_000_001, 10_000, true],
    ];
    for (const [grossCents, transactions, expected] of table)
      assert.equal(needs1099K({ grossCents, transactions }, rule), expected, `${grossCents} ${transactions}`);
  });
  test('configurable (a state threshold of $600 and any count)', () => {
    assert.equal(needs1099K({ grossCents: 60_001, transactions: 1 }, { minGrossCents: 60_000, minTransactions: 0 }), true);
  });
  test('calendar year in UTC', () => {
    assert.equal(taxYearOf(new Date('2026-12-31T23:59:59Z')), 2026);
    assert.equal(taxYearOf(new Date('2027-01-01T00:00:00Z')), 2027);
  });
});

describe('risk score', () => {
  const quiet = {
    salesLast24h: 3,
    salesLast30d: 90,
    salesAmountLast30dCents: 900_000,
    refundsAmountLast30dCents: 0,
    chargebacksAmountLast30dCents: 0,
    openScreeningMatches: 0,
    confirmedScreeningMatches: 0,
    verified: true,
  };
  test('a quiet verified venue scores 0', () => assert.deepEqual(scoreRisk(quiet), { score: 0, reasons: [] }));
  test('rules add up, with reasons, capped at 100', () => {
    const risky = scoreRisk({ ...quiet, salesLast24h: 60, refundsAmountLast30dCents: 300_000, chargebacksAmountLast30dCents: 20_000 });
    assert.deepEqual(
      risky.reasons.map((r) => [r.rule, r.points]),
      [
        ['velocity', 25],
        ['refunds', 35],
        ['chargebacks', 40],
      ],
    );
    assert.equal(risky.score, 100);
    assert.equal(scoreRisk({ ...quiet, openScreeningMatches: 1 }).score, 40);
    assert.equal(scoreRisk({ ...quiet, confirmedScreeningMatches: 1 }).score, 100);
    assert.equal(scoreRisk({ ...quiet, verified: false }).score, 10);
    assert.match(scoreRisk({ ...quiet, chargebacksAmountLast30dCents: 10_000 }).reasons[0].detail, /1\.1 % of sales \(over 1 %\)/);
  });
});
