import { computeCheckCharacter } from './check-character.ts';
import type { ParsedPattern } from './parse-pattern.ts';

/** The part of a serial that a date field shows, in UTC. */
export function dateField(field: 'YYYY' | 'YY' | 'MM' | 'DD' | 'JJJ' | 'WW', date: Date): string {
  const year = date.getUTCFullYear();
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  switch (field) {
    case 'YYYY':
      return pad(year, 4);
    case 'YY':
      return pad(year % 100, 2);
    case 'MM':
      return pad(date.getUTCMonth() + 1, 2);
    case 'DD':
      return pad(date.getUTCDate(), 2);
    case 'JJJ':
      return pad(Math.floor((Date.UTC(year, date.getUTCMonth(), date.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000) + 1, 3);
    case 'WW': {
      // ISO 8601 week: counted from the week holding the year's first Thursday.
      const day = new Date(Date.UTC(year, date.getUTCMonth(), date.getUTCDate()));
      day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7) + 3);
      const firstThursday = new Date(Date.UTC(day.getUTCFullYear(), 0, 4));
      const offsetDays = (day.getTime() - firstThursday.getTime()) / 86_400_000;
      return pad(1 + Math.round((offsetDays - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7), 2);
    }
  }
}

/**
 * The counter a serial draws from: one per reset period, and per part when the template shows
 * the part (without {PART}, parts sharing the pattern share its sequence, or they would collide).
 */
export function counterScope(pattern: ParsedPattern, partId: string, date: Date): string {
  const part = pattern.hasPart ? partId : '*';
  const iso = date.toISOString();
  const period = { never: '', yearly: iso.slice(0, 4), monthly: iso.slice(0, 7), daily: iso.slice(0, 10) }[pattern.resetRule];
  return period === '' ? part : `${part}@${period}`;
}

export interface RenderedSerial {
  serialNumber: string;
  checkCharacter: string | null;
}

/** The serial for one sequence value (pure). */
export function renderSerial(pattern: ParsedPattern, input: { partId: string; date: Date; sequence: number }): RenderedSerial {
  let text = '';
  let checkCharacter: string | null = null;
  for (const token of pattern.tokens) {
    if (token.kind === 'literal') text += token.text;
    else if (token.kind === 'part') text += input.partId.toUpperCase();
    else if (token.kind === 'date') text += dateField(token.field, input.date);
    else if (token.kind === 'sequence')
      text += input.sequence.toString(pattern.sequenceBase).toUpperCase().padStart(pattern.sequenceWidth, '0');
    else {
      checkCharacter = computeCheckCharacter(pattern.checkAlgorithm ?? 'iso7064-mod37-2', text);
      text += checkCharacter;
    }
  }
  return { serialNumber: text, checkCharacter };
}
