import type { z } from 'zod';
import { describeValue } from '../shared/duration.ts';
import { closestKey } from './schema-keys.ts';

/**
 * A zod issue in words a user can act on: a wrong type says which type it wanted and what it got
 * ("expected a number, got \"two\""), a missing key says it is required, a union names the forms it
 * accepts, an unknown key that only differs from a known one by look-alike letters says so, and a
 * mistyped key names the known key it is nearest to (`knownKeys`: the keys allowed where it stands).
 * `value` is what the file holds at the issue's path (undefined when the key is missing).
 */
export function describeIssue(issue: z.core.$ZodIssue, value: unknown, present: boolean, knownKeys: readonly string[] = []): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!present) return 'is required';
      return `expected ${article(issue.expected)}, got ${describeValue(value)}`;
    case 'unrecognized_keys':
      return unknownKeysMessage(issue.keys, knownKeys);
    case 'invalid_union':
      return unionMessage(issue, value, present);
    case 'too_small':
    case 'too_big': {
      if (issue.origin !== 'number') return issue.message;
      const bound = issue.code === 'too_small' ? 'at least' : 'at most';
      const exclusive = issue.inclusive === false ? (issue.code === 'too_small' ? 'above' : 'below') : bound;
      return `must be ${exclusive} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)} (got ${describeValue(value)})`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(value)})`;
    default:
      return issue.message;
  }
}

function unionMessage(issue: Extract<z.core.$ZodIssue, { code: 'invalid_union' }>, value: unknown, present: boolean): string {
  if (!present) return 'is required';
  const discriminator = /^Invalid discriminator value\. Expected (.*)$/.exec(issue.message);
  if (discriminator) return `must be one of ${discriminator[1].replaceAll("'", '"').replaceAll(' | ', ', ')} (got ${describeValue(value)})`;
  if (issue.message && !issue.message.startsWith('Invalid input')) return issue.message;
  const expected = new Set<string>();
  for (const branch of issue.errors) {
    const top = branch.find((inner) => inner.path.length === 0 && inner.code === 'invalid_type');
    if (top && top.code === 'invalid_type') expected.add(article(top.expected));
  }
  if (expected.size === issue.errors.length && expected.size > 0)
    return `expected ${[...expected].join(' or ')}, got ${describeValue(value)}`;
  const first = issue.errors.find((branch) => branch.length > 0)?.[0];
  return `matches none of the forms this key accepts${first ? ` (closest: ${first.path.length ? `${first.path.join('.')}: ` : ''}${first.message})` : ''}`;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
  int: 'a whole number',
  null: 'null',
};

function article(expected: string): string {
  return ARTICLE[expected] ?? expected;
}

function unknownKeysMessage(keys: readonly string[], knownKeys: readonly string[]): string {
  const parts = keys.map((key) => {
    const folded = foldLookAlikes(key);
    if (folded !== key && /^[\x20-\x7e]*$/.test(folded)) {
      const odd = [...key]
        .filter((ch) => ch.charCodeAt(0) > 0x7e)
        .map((ch) => `"${ch}" U+${ch.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`);
      return `"${key}" (it looks like "${folded}" but contains non-ASCII look-alike letters: ${odd.join(', ')}; retype it in plain ASCII)`;
    }
    const meant = closestKey(key, knownKeys);
    return meant ? `"${key}" (did you mean "${meant}"?)` : `"${key}"`;
  });
  return `unknown key${keys.length > 1 ? 's' : ''} ${parts.join(', ')}`;
}

/** Cyrillic and Greek letters that look like Latin ones, and full-width forms. */
const LOOK_ALIKES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ӏ: 'l',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  І: 'I',
  Ј: 'J',
  Ѕ: 'S',
  α: 'a',
  ο: 'o',
  ρ: 'p',
  ν: 'v',
  τ: 't',
  ι: 'i',
  κ: 'k',
  χ: 'x',
  υ: 'u',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  ı: 'i',
  ℓ: 'l',
};

/** Maps look-alike letters to ASCII: accents dropped, full-width forms narrowed, Cyrillic/Greek twins replaced. */
export function foldLookAlikes(text: string): string {
  return [...text.normalize('NFKD')]
    .filter((ch) => !/\p{Mn}/u.test(ch))
    .map((ch) => LOOK_ALIKES[ch] ?? ch)
    .join('')
    .replace(/[\u200b-\u200d\ufeff]/g, '');
}
