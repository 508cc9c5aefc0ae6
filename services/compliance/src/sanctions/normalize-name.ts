/**
 * Names are compared in a normal form: Unicode compatibility-decomposed with the accents dropped,
 * letters without a decomposition transliterated (ß → ss, ø → o, ł → l...), lowercased, the
 * German spellings of umlauts folded (Mueller and Müller compare equal),
 * punctuation turned into spaces, legal-form words dropped (LLC, Inc, GmbH...), and doubled
 * letters collapsed (Mohammed and Mohamed, Abbas and Abas compare equal), so that the fuzzy
 * score measures the name and not its spelling conventions.
 */

const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
};

/** Words that say what kind of legal person a name is, not which one. */
export const LEGAL_FORM_WORDS: ReadonlySet<string> = new Set([
  'the',
  'llc',
  'inc',
  'incorporated',
  'ltd',
  'limited',
  'co',
  'corp',
  'corporation',
  'company',
  'sa',
  'srl',
  'gmbh',
  'ag',
  'plc',
  'lp',
  'llp',
  'bv',
  'nv',
  'oy',
  'ab',
  'spa',
  'jsc',
  'ojsc',
  'pjsc',
  'cjsc',
  'ooo',
  'zao',
  'oao',
  'fze',
  'fzco',
]);

/** Tokens of a name in normal form. `LAST, First` (the SDN style for individuals) is read First Last. */
export function nameTokens(raw: string, options: { lastNameFirst?: boolean } = {}): string[] {
  let text = raw;
  if (options.lastNameFirst) {
    const comma = text.indexOf(',');
    if (comma > 0) text = `${text.slice(comma + 1)} ${text.slice(0, comma)}`;
  }
  text = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  text = text.replace(/[ßæœøłđðþıħ]/g, (letter) => TRANSLITERATIONS[letter] ?? letter);
  return text
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((token) => token.length > 0 && !LEGAL_FORM_WORDS.has(token))
    .map((token) => token.replace(/([aou])e/g, '$1').replace(/([a-z])\1+/g, '$1'));
}

/** The whole name in normal form, tokens joined by one space. */
export function normalizeName(raw: string, options: { lastNameFirst?: boolean } = {}): string {
  return nameTokens(raw, options).join(' ');
}
