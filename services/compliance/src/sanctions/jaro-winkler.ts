/** Winkler's prefix scale: how much a common prefix (up to 4 characters) lifts the Jaro score. */
export const WINKLER_PREFIX_SCALE = 0.1;
export const WINKLER_MAX_PREFIX = 4;

let flagsA = new Uint8Array(64);
let flagsB = new Uint8Array(64);

/** Jaro similarity of two strings, 0 (nothing in common) to 1 (equal). */
export function jaro(a: string, b: string): number {
  if (a === b) return 1;
  const la = a.length;
  const lb = b.length;
  if (la === 0 || lb === 0) return 0;
  if (flagsA.length < la) flagsA = new Uint8Array(la * 2);
  if (flagsB.length < lb) flagsB = new Uint8Array(lb * 2);
  flagsA.fill(0, 0, la);
  flagsB.fill(0, 0, lb);
  const window = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const code = a.charCodeAt(i);
    const from = Math.max(0, i - window);
    const to = Math.min(lb - 1, i + window);
    for (let j = from; j <= to; j++) {
      if (flagsB[j] === 0 && b.charCodeAt(j) === code) {
        flagsA[i] = 1;
        flagsB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < la; i++) {
    if (flagsA[i] === 0) continue;
    while (flagsB[k] === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++;
    k++;
  }
  const m = matches;
  return (m / la + m / lb + (m - transpositions / 2) / m) / 3;
}

/** Jaro-Winkler similarity: Jaro, lifted for a common prefix of up to four characters. */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b);
  if (j === 0 || j === 1) return j;
  let prefix = 0;
  const max = Math.min(WINKLER_MAX_PREFIX, a.length, b.length);
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * WINKLER_PREFIX_SCALE * (1 - j);
}

/**
 * The highest Jaro-Winkler score two strings of these lengths could reach: Jaro is at most
 * (2 + shorter/longer) / 3, and the prefix lifts it by at most 0.4 of what is left. Lets a
 * screening skip candidates that cannot reach the threshold without comparing them.
 */
export function jaroWinklerUpperBound(lengthA: number, lengthB: number): number {
  if (lengthA === 0 || lengthB === 0) return 0;
  const jaroMax = (2 + Math.min(lengthA, lengthB) / Math.max(lengthA, lengthB)) / 3;
  return jaroMax + WINKLER_MAX_PREFIX * WINKLER_PREFIX_SCALE * (1 - jaroMax);
}
