/**
 * Form 1099-K: a payment settlement entity reports a payee whose gross payments in a calendar
 * year exceed the amount threshold AND whose number of transactions exceeds the count threshold.
 * The federal rule is more than $20,000 and more than 200 transactions; both are configurable
 * (states and future years differ). Gross means before refunds, chargebacks and fees.
 */
export interface ThresholdRule {
  /** Reported when gross is strictly more than this (cents). */
  minGrossCents: number;
  /** Reported when the count is strictly more than this. */
  minTransactions: number;
}

export interface YearTotals {
  grossCents: number;
  transactions: number;
}

export function needs1099K(totals: YearTotals, rule: ThresholdRule): boolean {
  return totals.grossCents > rule.minGrossCents && totals.transactions > rule.minTransactions;
}

/** The calendar year (UTC) a transaction counts toward. */
export function taxYearOf(occurredAt: Date): number {
  return occurredAt.getUTCFullYear();
}
