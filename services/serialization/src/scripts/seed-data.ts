import type { PatternInput } from '../patterns/pattern-store.ts';

/** The default pattern templates of the seed (the guide's "default pattern templates"). */
export const DEFAULT_PATTERNS: readonly PatternInput[] = [
  {
    id: 'unit-monthly',
    name: 'Unit serial: part, year and month, base-36 sequence, ISO 7064 MOD 37-2 check',
    template: 'S{PART}{YY}{MM}{SEQ:5}{CHECK}',
    partId: null,
    sequenceBase: 36,
    sequenceMin: 1,
    sequenceMax: 36 ** 5 - 1,
    incrementBy: 1,
    resetRule: 'monthly',
    checkAlgorithm: 'iso7064-mod37-2',
  },
  {
    id: 'lot-daily',
    name: 'Lot number: year and day of year, decimal sequence',
    template: 'L{YY}{JJJ}-{SEQ:4}',
    partId: null,
    sequenceBase: 10,
    sequenceMin: 1,
    sequenceMax: 9999,
    incrementBy: 1,
    resetRule: 'daily',
    checkAlgorithm: null,
  },
  {
    id: 'numeric-luhn',
    name: 'Numeric serial with a Luhn check digit, never reset',
    template: '9{SEQ:10}{CHECK}',
    partId: null,
    sequenceBase: 10,
    sequenceMin: 1,
    sequenceMax: 9_999_999_999,
    incrementBy: 1,
    resetRule: 'never',
    checkAlgorithm: 'luhn',
  },
];

/** The trigger types of the guide ("default trigger types"): events, and what a trigger may do on them. */
export const DEFAULT_TRIGGER_TYPES = {
  events: ['receipt', 'operation_complete', 'inspection_pass'],
  actions: ['generate', 'resolve_placeholder', 'accept_vendor_serial'],
} as const;
