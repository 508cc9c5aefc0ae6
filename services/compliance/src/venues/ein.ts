/**
 * Employer Identification Numbers: nine digits written NN-NNNNNNN. The first two digits are the
 * prefix of the IRS campus (or the internet/SBA channel) that assigned the number; prefixes the
 * IRS has never assigned (00, 07-09, 17-19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97) cannot start
 * a real EIN.
 */

/** Every prefix the IRS assigns (Andover, Atlanta, Austin, Brookhaven, Cincinnati, Fresno, Kansas City, Memphis, Ogden, Philadelphia, internet, SBA). */
export const VALID_EIN_PREFIXES: ReadonlySet<string> = new Set(
  [
    [1, 6],
    [10, 16],
    [20, 27],
    [30, 48],
    [50, 68],
    [71, 77],
    [80, 88],
    [90, 95],
    [98, 99],
  ].flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(2, '0'))),
);

export type EinCheck =
  | { ok: true; ein: string; prefix: string }
  | { ok: false; reason: 'format' | 'prefix' | 'all_same_digits'; detail: string };

/** Checks an EIN given as `NN-NNNNNNN` or nine digits; returns it in the canonical `NN-NNNNNNN` form. */
export function checkEin(input: string): EinCheck {
  const trimmed = input.trim();
  const match = /^(\d{2})-?(\d{7})$/.exec(trimmed);
  if (!match) {
    return { ok: false, reason: 'format', detail: 'an EIN is nine digits written NN-NNNNNNN, e.g. 12-3456789' };
  }
  const [, prefix, serial] = match;
  if (!VALID_EIN_PREFIXES.has(prefix)) {
    return { ok: false, reason: 'prefix', detail: `the IRS assigns no EIN starting with ${prefix}` };
  }
  if (/^(\d)\1{8}$/.test(prefix + serial)) {
    return { ok: false, reason: 'all_same_digits', detail: 'an EIN of nine identical digits is a placeholder, not a real number' };
  }
  return { ok: true, ein: `${prefix}-${serial}`, prefix };
}

/** The EIN as shown to anyone but its owner: `**-***6789`. */
export function maskEin(ein: string): string {
  return `**-***${ein.slice(-4)}`;
}
