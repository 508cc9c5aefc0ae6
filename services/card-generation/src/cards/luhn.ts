// Luhn (mod 10) of ISO/IEC 7812-1 Annex B. A typo check, not a security feature: it detects every
// single-digit error and every adjacent transposition except 09 <-> 90.

const ZERO = 48;

/** Luhn sum of `digits` as if a check digit followed them (the rightmost digit here is doubled). */
function payloadSum(digits: string): number {
  let sum = 0;
  let double = true;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - ZERO;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}

/** The check digit to append to `payload` (digits only). */
export function luhnCheckDigit(payload: string): number {
  return (10 - (payloadSum(payload) % 10)) % 10;
}

/** `payload` with its check digit appended. */
export function withLuhnCheckDigit(payload: string): string {
  return payload + String(luhnCheckDigit(payload));
}

/** True when `pan` (digits only, at least 2) passes the Luhn check. */
export function isLuhnValid(pan: string): boolean {
  if (pan.length < 2 || !/^\d+$/.test(pan)) return false;
  return luhnCheckDigit(pan.slice(0, -1)) === pan.charCodeAt(pan.length - 1) - ZERO;
}
