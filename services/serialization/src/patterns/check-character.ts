/**
 * Check characters of generated serials.
 *
 * ISO/IEC 7064 pure systems MOD 11-2 (digits, check 0-9 or X) and MOD 37-2 (digits and letters,
 * check 0-9, A-Z or *): starting from p = 0, each character's value is added and the sum doubled
 * modulo M; the check character c makes (p + c) mod M = 1. They catch every single substitution
 * and every transposition of adjacent characters. Luhn (mod 10, digits only) for numeric serials.
 * Characters outside the system's set (separators such as `-`) are not part of the computation.
 */

export const CHECK_ALGORITHMS = ['iso7064-mod37-2', 'iso7064-mod11-2', 'luhn'] as const;
export type CheckAlgorithm = (typeof CHECK_ALGORITHMS)[number];

const SYSTEMS = {
  'iso7064-mod37-2': { modulus: 37, data: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', check: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*' },
  'iso7064-mod11-2': { modulus: 11, data: '0123456789', check: '0123456789X' },
} as const;

/** The characters of `text` that an algorithm computes over. */
export function checkedCharacters(algorithm: CheckAlgorithm, text: string): string {
  const data = algorithm === 'luhn' ? '0123456789' : SYSTEMS[algorithm].data;
  return [...text.toUpperCase()].filter((char) => data.includes(char)).join('');
}

function pureSystemCheck(algorithm: keyof typeof SYSTEMS, text: string): string {
  const system = SYSTEMS[algorithm];
  let p = 0;
  for (const char of checkedCharacters(algorithm, text)) p = ((p + system.data.indexOf(char)) * 2) % system.modulus;
  return system.check[(system.modulus + 1 - p) % system.modulus];
}

function luhnCheck(text: string): string {
  const digits = checkedCharacters('luhn', text);
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/** The check character for `text`. */
export function computeCheckCharacter(algorithm: CheckAlgorithm, text: string): string {
  return algorithm === 'luhn' ? luhnCheck(text) : pureSystemCheck(algorithm, text);
}

/** True when the last character of `serial` is the right check character for the rest. */
export function verifyCheckCharacter(algorithm: CheckAlgorithm, serial: string): boolean {
  if (serial.length < 2) return false;
  return computeCheckCharacter(algorithm, serial.slice(0, -1)) === serial.slice(-1).toUpperCase();
}
