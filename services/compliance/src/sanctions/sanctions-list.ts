import { jaroWinkler, jaroWinklerUpperBound } from './jaro-winkler.ts';
import { nameTokens } from './normalize-name.ts';
import type { SdnAlias, SdnEntry, SdnType } from './ofac-csv.ts';

/** Which comparison gave a match its score. */
export type MatchMethod = 'exact' | 'full_name' | 'token_order' | 'token_set';

export interface ScreeningMatch {
  entNum: number;
  /** The SDN's primary name. */
  sdnName: string;
  /** The name that matched: the primary name or an alias. */
  matchedName: string;
  matchedAs: 'primary' | 'alias';
  type: SdnType;
  programs: string[];
  score: number;
  method: MatchMethod;
  /** Both names in normal form, as compared. */
  compared: { query: string; candidate: string };
}

export interface ListIdentity {
  version: string;
  checksum: string;
  entries: number;
  aliases: number;
  loadedAt: string;
}

interface Variant {
  entry: SdnEntry;
  name: string;
  matchedAs: 'primary' | 'alias';
  normalized: string;
  sorted: string;
  tokens: string[];
}

/** The letter trigrams of each token, with its start and end marked (`^ra ras ash shi hid id$`), once each. */
export function tokenTrigrams(tokens: readonly string[]): Set<string> {
  const grams = new Set<string>();
  for (const token of tokens) {
    const padded = `^${token}$`;
    if (padded.length <= 3) grams.add(padded);
    for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  }
  return grams;
}

/**
 * The share of letter trigrams (Dice coefficient) a candidate must have in common with the name to
 * be scored at all: the threshold less 0.35 (0.55 at 0.9). Names that score near the threshold keep
 * most of their trigrams, in any token order; the rest of the list is skipped without comparing.
 */
export function minTrigramShare(threshold: number): number {
  return Math.max(0.3, threshold - 0.35);
}

/** At most this many matches are returned, best first. */
export const MAX_MATCHES = 10;

const round = (score: number) => Math.round(score * 1000) / 1000;

/** Symmetric token-set score: each token's best partner on the other side, averaged both ways. */
function tokenSetScore(a: readonly string[], b: readonly string[]): number {
  const oneWay = (from: readonly string[], to: readonly string[]) => {
    let total = 0;
    for (const token of from) {
      let best = 0;
      for (const other of to) {
        const score = token === other ? 1 : jaroWinkler(token, other);
        if (score > best) best = score;
        if (best === 1) break;
      }
      total += best;
    }
    return total / from.length;
  };
  return (oneWay(a, b) + oneWay(b, a)) / 2;
}

/**
 * A loaded sanctions list, immutable: every SDN name and alias in normal form, with an inverted
 * index of the letter trigrams of its tokens. A screening only looks at candidates that can still
 * reach the trigram share (minTrigramShare): their trigram count must be in range, and they must
 * appear in the postings of the name's rarest trigrams (a candidate missing from all of those
 * cannot share enough of the rest), so common trigrams are never walked.
 */
export class SanctionsList {
  readonly identity: ListIdentity;
  readonly #variants: Variant[] = [];
  readonly #gramIds = new Map<string, number>();
  readonly #postings: number[][] = [];
  // Flat arrays, one slot per variant (cache-friendly: a screening walks thousands of candidates).
  #gramCount = new Uint16Array(0);
  #gramStart = new Uint32Array(0);
  #gramData = new Uint32Array(0);
  #marks = new Uint32Array(0);
  #queryMarks = new Uint32Array(0);
  #epoch = 0;

  constructor(entries: readonly SdnEntry[], aliases: readonly SdnAlias[], identity: Omit<ListIdentity, 'entries' | 'aliases'>) {
    const byNum = new Map(entries.map((entry) => [entry.entNum, entry]));
    const gramLists: number[][] = [];
    const add = (entry: SdnEntry, name: string, matchedAs: Variant['matchedAs']) => {
      const tokens = nameTokens(name, { lastNameFirst: entry.type === 'individual' });
      if (tokens.length === 0) return;
      const index = this.#variants.length;
      const grams = [...tokenTrigrams(tokens)].map((gram) => {
        let id = this.#gramIds.get(gram);
        if (id === undefined) {
          id = this.#postings.length;
          this.#gramIds.set(gram, id);
          this.#postings.push([]);
        }
        this.#postings[id].push(index);
        return id;
      });
      gramLists.push(grams);
      this.#variants.push({
        entry,
        name,
        matchedAs,
        tokens,
        normalized: tokens.join(' '),
        sorted: [...tokens].sort().join(' '),
      });
    };
    for (const entry of entries) add(entry, entry.name, 'primary');
    let aliasCount = 0;
    for (const alias of aliases) {
      const entry = byNum.get(alias.entNum);
      if (!entry) continue;
      add(entry, alias.name, 'alias');
      aliasCount++;
    }
    this.identity = Object.freeze({ ...identity, entries: entries.length, aliases: aliasCount });
    const total = gramLists.reduce((sum, grams) => sum + grams.length, 0);
    this.#gramCount = new Uint16Array(gramLists.length);
    this.#gramStart = new Uint32Array(gramLists.length);
    this.#gramData = new Uint32Array(total);
    let offset = 0;
    gramLists.forEach((grams, index) => {
      this.#gramCount[index] = Math.min(grams.length, 65_535);
      this.#gramStart[index] = offset;
      this.#gramData.set(grams, offset);
      offset += grams.length;
    });
    this.#marks = new Uint32Array(this.#variants.length);
    this.#queryMarks = new Uint32Array(this.#postings.length);
  }

  /** Every SDN whose best name scores at least `threshold` (0-1), best first, each with how it matched. */
  screen(name: string, threshold: number): ScreeningMatch[] {
    const tokens = nameTokens(name);
    if (tokens.length === 0) return [];
    const normalized = tokens.join(' ');
    const sorted = [...tokens].sort().join(' ');
    const best = new Map<number, ScreeningMatch>();
    const queryGrams = tokenTrigrams(tokens);
    const q = queryGrams.size;
    const share = minTrigramShare(threshold);
    // Dice ≥ share bounds the candidate's trigram count and the trigrams it must share.
    const minCount = Math.ceil((q * share) / (2 - share));
    const maxCount = Math.floor((q * (2 - share)) / share);
    const minShared = Math.max(1, Math.ceil((share * (q + minCount)) / 2));
    const known = [...queryGrams].map((gram) => this.#gramIds.get(gram)).filter((id): id is number => id !== undefined);
    known.sort((a, b) => this.#postings[a].length - this.#postings[b].length);
    const prefix = known.slice(0, Math.max(0, q - minShared + 1));
    this.#epoch = (this.#epoch + 1) >>> 0 || 1;
    if (this.#epoch === 1) {
      this.#marks.fill(0);
      this.#queryMarks.fill(0);
    }
    const marks = this.#marks;
    const queryMarks = this.#queryMarks;
    const epoch = this.#epoch;
    for (const id of known) queryMarks[id] = epoch;
    const gramCount = this.#gramCount;
    const gramStart = this.#gramStart;
    const gramData = this.#gramData;
    for (const gram of prefix) {
      for (const index of this.#postings[gram]) {
        if (marks[index] === epoch) continue;
        marks[index] = epoch;
        const count = gramCount[index];
        if (count < minCount || count > maxCount) continue;
        let shared = 0;
        const start = gramStart[index];
        for (let i = start; i < start + count; i++) if (queryMarks[gramData[i]] === epoch) shared++;
        if ((2 * shared) / (q + count) < share) continue;
        const variant = this.#variants[index];
        const scored = this.#score(normalized, sorted, tokens, variant, threshold);
        if (!scored) continue;
        const previous = best.get(variant.entry.entNum);
        if (previous && previous.score >= scored.score) continue;
        best.set(variant.entry.entNum, {
          entNum: variant.entry.entNum,
          sdnName: variant.entry.name,
          matchedName: variant.name,
          matchedAs: variant.matchedAs,
          type: variant.entry.type,
          programs: variant.entry.programs,
          score: round(scored.score),
          method: scored.method,
          compared: { query: normalized, candidate: variant.normalized },
        });
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score || a.entNum - b.entNum).slice(0, MAX_MATCHES);
  }

  #score(normalized: string, sorted: string, tokens: string[], variant: Variant, threshold: number) {
    if (normalized === variant.normalized) return { score: 1, method: 'exact' as const };
    let score = 0;
    let method: MatchMethod = 'full_name';
    if (jaroWinklerUpperBound(normalized.length, variant.normalized.length) >= threshold) {
      score = jaroWinkler(normalized, variant.normalized);
      if (sorted !== normalized || variant.sorted !== variant.normalized) {
        const reordered = sorted === variant.sorted ? 1 : jaroWinkler(sorted, variant.sorted);
        if (reordered > score) [score, method] = [reordered, 'token_order'];
      }
    }
    if (score < threshold && (tokens.length > 1 || variant.tokens.length > 1)) {
      const set = tokenSetScore(tokens, variant.tokens);
      if (set > score) [score, method] = [set, 'token_set'];
    }
    return score >= threshold ? { score, method } : null;
  }
}
