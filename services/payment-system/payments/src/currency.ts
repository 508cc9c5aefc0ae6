/**
 * ISO 4217 currencies accepted by the payments service, with their minor-unit exponent (the
 * number of decimal places of the minor unit: 2 for EUR cents, 0 for JPY, 3 for BHD fils, 4 for
 * the Chilean unidad de fomento). Amounts travel and are stored as integers in minor units;
 * the exponent only matters to display them. The list is a deliberate subset: a code not in it is
 * refused rather than guessed.
 */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  // 0 decimal places
  CLP: 0,
  ISK: 0,
  JPY: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  XAF: 0,
  XOF: 0,
  // 2 decimal places
  AED: 2,
  ARS: 2,
  AUD: 2,
  BGN: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  COP: 2,
  CZK: 2,
  DKK: 2,
  EGP: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  KES: 2,
  MAD: 2,
  MXN: 2,
  MYR: 2,
  NGN: 2,
  NOK: 2,
  NZD: 2,
  PEN: 2,
  PHP: 2,
  PLN: 2,
  QAR: 2,
  RON: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TRY: 2,
  TWD: 2,
  UAH: 2,
  USD: 2,
  ZAR: 2,
  // 3 decimal places
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // 4 decimal places
  CLF: 4,
});

/** Largest amount in minor units: below 2^53 so it survives JSON numbers, and far above any single real payment. */
export const MAX_AMOUNT_MINOR_UNITS = 999_999_999_999_999;

/** The exponent of an accepted currency code (upper case), or undefined. */
export function currencyExponent(code: string): number | undefined {
  return Object.hasOwn(CURRENCY_EXPONENTS, code) ? CURRENCY_EXPONENTS[code] : undefined;
}

/** "1234" EUR → "12.34", "500" JPY → "500", "1" BHD → "0.001". */
export function formatMinorUnits(amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new Error(`unknown currency ${currency}`);
  if (exponent === 0) return String(amount);
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  return `${amount < 0 ? '-' : ''}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
