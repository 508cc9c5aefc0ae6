import { CHECK_ALGORITHMS, type CheckAlgorithm } from './check-character.ts';

/**
 * Pattern templates of system-generated serials, e.g. `SN-{PART}-{YYYY}{MM}-{SEQ:6}{CHECK}`.
 *
 * Tokens: {PART} the part number; {YYYY} {YY} {MM} {DD} {JJJ} (day of the year) and {WW} (ISO
 * week) of the generation date in UTC; {SEQ:n} the sequence in the pattern's number base, zero
 * padded to n characters (exactly one); {CHECK} the check character over everything before it
 * (last, and only with a check algorithm). Everything else is literal.
 *
 * A pattern is refused when it cannot produce a unique value: no {SEQ}; a reset rule whose period
 * the template does not show (a daily reset without {DD} or {JJJ} would give the same serial on
 * two days); a sequence maximum that does not fit the width; or serials longer than 20 characters.
 */

export const RESET_RULES = ['never', 'daily', 'monthly', 'yearly'] as const;
export type ResetRule = (typeof RESET_RULES)[number];
export const SEQUENCE_BASES = [10, 16, 36] as const;
export type SequenceBase = (typeof SEQUENCE_BASES)[number];

export type PatternToken =
  | { kind: 'literal'; text: string }
  | { kind: 'part' }
  | { kind: 'date'; field: 'YYYY' | 'YY' | 'MM' | 'DD' | 'JJJ' | 'WW' }
  | { kind: 'sequence'; width: number }
  | { kind: 'check' };

export interface PatternDefinition {
  template: string;
  sequenceBase: SequenceBase;
  sequenceMin: number;
  sequenceMax: number;
  incrementBy: number;
  resetRule: ResetRule;
  checkAlgorithm: CheckAlgorithm | null;
}

export interface ParsedPattern extends PatternDefinition {
  tokens: PatternToken[];
  sequenceWidth: number;
  hasPart: boolean;
}

export type PatternParse = { ok: true; pattern: ParsedPattern } | { ok: false; problems: string[] };

const DATE_WIDTH = { YYYY: 4, YY: 2, MM: 2, DD: 2, JJJ: 3, WW: 2 } as const;
const LITERAL = /^[A-Z0-9\-./_]*$/;
/** A part number is at most this long inside a serial. */
export const MAX_PART_IN_SERIAL = 8;

export function parsePattern(definition: PatternDefinition): PatternParse {
  const problems: string[] = [];
  const tokens: PatternToken[] = [];
  const re = /\{([A-Z]+)(?::(\d+))?\}/g;
  let last = 0;
  for (let match = re.exec(definition.template); match; match = re.exec(definition.template)) {
    if (match.index > last) tokens.push({ kind: 'literal', text: definition.template.slice(last, match.index) });
    last = re.lastIndex;
    const [whole, name, arg] = match;
    if (name === 'PART') tokens.push({ kind: 'part' });
    else if (name in DATE_WIDTH) tokens.push({ kind: 'date', field: name as keyof typeof DATE_WIDTH });
    else if (name === 'SEQ') tokens.push({ kind: 'sequence', width: arg === undefined ? 0 : Number(arg) });
    else if (name === 'CHECK') tokens.push({ kind: 'check' });
    else problems.push(`unknown token ${whole} (use {PART}, {YYYY}, {YY}, {MM}, {DD}, {JJJ}, {WW}, {SEQ:n} or {CHECK})`);
  }
  if (last < definition.template.length) tokens.push({ kind: 'literal', text: definition.template.slice(last) });
  for (const token of tokens) {
    if (token.kind === 'literal' && (!LITERAL.test(token.text) || /[{}]/.test(token.text))) {
      problems.push(`literal "${token.text}" may only hold upper-case letters, digits and - . / _`);
    }
  }
  if (definition.template.toUpperCase().startsWith('TMP-')) problems.push('TMP- is reserved for placeholders');

  const sequences = tokens.filter((token) => token.kind === 'sequence');
  if (sequences.length !== 1)
    problems.push(`needs exactly one {SEQ:n} (found ${sequences.length}): without it every serial would be the same`);
  const checks = tokens.filter((token) => token.kind === 'check').length;
  if (checks > 1 || (checks === 1 && tokens.at(-1)?.kind !== 'check')) problems.push('{CHECK} may appear once, at the end');
  if (checks === 1 && definition.checkAlgorithm === null) problems.push('{CHECK} needs a checkAlgorithm');
  if (checks === 0 && definition.checkAlgorithm !== null)
    problems.push(`checkAlgorithm ${definition.checkAlgorithm} needs {CHECK} at the end of the template`);
  if (definition.checkAlgorithm !== null && !CHECK_ALGORITHMS.includes(definition.checkAlgorithm))
    problems.push(`unknown checkAlgorithm ${definition.checkAlgorithm}`);
  if (definition.checkAlgorithm === 'luhn' && (definition.sequenceBase !== 10 || tokens.some((t) => t.kind === 'part'))) {
    problems.push('luhn covers digits only: use it with base 10 and without {PART}, or use iso7064-mod37-2');
  }

  const fields = new Set(tokens.flatMap((token) => (token.kind === 'date' ? [token.field] : [])));
  const year = fields.has('YYYY') || fields.has('YY');
  const periodShown = {
    never: true,
    yearly: year,
    monthly: year && fields.has('MM'),
    daily: year && (fields.has('JJJ') || (fields.has('MM') && fields.has('DD'))),
  }[definition.resetRule];
  if (!periodShown) {
    const needs = { never: '', yearly: '{YYYY} or {YY}', monthly: 'a year and {MM}', daily: 'a year and {JJJ}, or a year, {MM} and {DD}' }[
      definition.resetRule
    ];
    problems.push(
      `resetRule ${definition.resetRule} restarts the sequence, so the template must show ${needs}: otherwise two periods give the same serials`,
    );
  }

  const { sequenceMin, sequenceMax, incrementBy, sequenceBase } = definition;
  if (!Number.isSafeInteger(sequenceMin) || sequenceMin < 0) problems.push('sequenceMin must be a whole number >= 0');
  if (!Number.isSafeInteger(sequenceMax) || sequenceMax < sequenceMin) problems.push('sequenceMax must be a whole number >= sequenceMin');
  if (!Number.isSafeInteger(incrementBy) || incrementBy < 1) problems.push('incrementBy must be a whole number >= 1');
  const width = sequences[0]?.kind === 'sequence' ? sequences[0].width : 0;
  const maxDigits = Number.isSafeInteger(sequenceMax) ? sequenceMax.toString(sequenceBase).length : 0;
  const sequenceWidth = width === 0 ? maxDigits : width;
  if (width !== 0 && maxDigits > width) {
    problems.push(
      `sequenceMax ${sequenceMax} needs ${maxDigits} characters in base ${sequenceBase}, more than {SEQ:${width}}: serials would change width, and some collide with others`,
    );
  }
  let length = 0;
  for (const token of tokens) {
    if (token.kind === 'literal') length += token.text.length;
    else if (token.kind === 'part') length += MAX_PART_IN_SERIAL;
    else if (token.kind === 'date') length += DATE_WIDTH[token.field];
    else if (token.kind === 'sequence') length += sequenceWidth;
    else length += 1;
  }
  if (length > 20)
    problems.push(
      `serials would be up to ${length} characters long (at most 20, as GS1 AI 21 allows; {PART} counts ${MAX_PART_IN_SERIAL})`,
    );
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, pattern: { ...definition, tokens, sequenceWidth, hasPart: tokens.some((t) => t.kind === 'part') } };
}
