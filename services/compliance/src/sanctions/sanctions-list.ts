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
  /** The tokens sorted and joined (the same string as `normalized` when already in order). */
  sorted: string;
  /** Tokens in `normalized`: split again only for the few candidates that reach the token-set score. */
  tokenCount: number;
}

/** Symbols of a padded token: a-z, 0-9 (all a token in normal form holds), then the start and end marks. */
const SYMBOLS = 38;
const START = 36;
const END = 37;
/** Every trigram of padded tokens as a number: (s0 * 38 + s1) * 38 + s2. */
const TRIGRAM_KEYS = SYMBOLS ** 3;

function symbolOf(code: number): number {
  if (code >= 97 && code <= 122) return code - 97; // a-z
  if (code >= 48 && code <= 57) return code - 48 + 26; // 0-9
  return END; // never in a normal-form token; counts as a mark, so the pruning only gets looser
}

/**
 * Calls `visit` with the key of each letter trigram of each token, its start and end marked
 * (`^ra ras ash shi hid id$`), repeats included. Works on char codes: no string is made.
 */
function forEachTrigram(tokens: readonly string[], visit: (key: number) => void): void {
  for (const token of tokens) {
    let a = START;
    let b = symbolOf(token.charCodeAt(0));
    for (let i = 1; i <= token.length; i++) {
      const c = i < token.length ? symbolOf(token.charCodeAt(i)) : END;
      visit((a * SYMBOLS + b) * SYMBOLS + c);
      a = b;
      b = c;
    }
  }
}

/**
 * The share of letter trigrams (Dice coefficient) a candidate must have in common with the name to
 * be scored at all: the threshold less 0.35 (0.55 at 0.9). Names that score near the threshold keep
 * most of their trigrams, in any token order; the rest of the list is skipped without comparing.
 */
export function minTrigramShare(threshold: number): number {
  return Math.max(0.3, threshold - 0.35);
}

/** A name's tokens joined, and sorted then joined (one string, not two, when they are in order already). */
function normalForms(tokens: readonly string[]): { normalized: string; sorted: string } {
  const normalized = tokens.join(' ');
  const sorted = tokens.length > 1 ? [...tokens].sort().join(' ') : normalized;
  return { normalized, sorted: sorted === normalized ? normalized : sorted };
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
 *
 * The index is flat typed arrays (trigram keys are numbers, postings one Uint32Array): a screening
 * allocates next to nothing but its answer, and the garbage collector has few objects to mark.
 */
export class SanctionsList {
  readonly identity: ListIdentity;
  readonly #variants: Variant[] = [];
  /** Trigram key → trigram id, -1 for a trigram no name of the list has. */
  readonly #gramOfKey = new Int32Array(TRIGRAM_KEYS).fill(-1);
  /** Postings of trigram id g: #postingData[#postingStart[g] .. #postingStart[g + 1]), variant indexes ascending. */
  #postingStart = new Uint32Array(1);
  #postingData = new Uint32Array(0);
  // One slot per variant: its distinct trigram ids at #gramData[#gramStart[i] .. + #gramCount[i]).
  #gramCount = new Uint16Array(0);
  #gramStart = new Uint32Array(0);
  #gramData = new Uint32Array(0);
  #marks = new Uint32Array(0);
  #queryMarks = new Uint32Array(0);
  #keyMarks = new Uint32Array(TRIGRAM_KEYS);
  #known = new Int32Array(64);
  #epoch = 0;

  constructor(entries: readonly SdnEntry[], aliases: readonly SdnAlias[], identity: Omit<ListIdentity, 'entries' | 'aliases'>) {
    const byNum = new Map(entries.map((entry) => [entry.entNum, entry]));
    const gramLists: number[][] = [];
    let grams = 0;
    const add = (entry: SdnEntry, name: string, matchedAs: Variant['matchedAs']) => {
      const tokens = nameTokens(name, { lastNameFirst: entry.type === 'individual' });
      if (tokens.length === 0) return;
      const ids = new Set<number>();
      forEachTrigram(tokens, (key) => {
        let id = this.#gramOfKey[key];
        if (id === -1) {
          id = grams++;
          this.#gramOfKey[key] = id;
        }
        ids.add(id);
      });
      gramLists.push([...ids]);
      this.#variants.push({
        entry,
        name,
        matchedAs,
        tokenCount: tokens.length,
        ...normalForms(tokens),
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
    const total = gramLists.reduce((sum, list) => sum + list.length, 0);
    this.#gramCount = new Uint16Array(gramLists.length);
    this.#gramStart = new Uint32Array(gramLists.length);
    this.#gramData = new Uint32Array(total);
    const postingCount = new Uint32Array(grams);
    let offset = 0;
    gramLists.forEach((list, index) => {
      this.#gramCount[index] = Math.min(list.length, 65_535);
      this.#gramStart[index] = offset;
      this.#gramData.set(list, offset);
      offset += list.length;
      for (const id of list) postingCount[id]++;
    });
    this.#postingStart = new Uint32Array(grams + 1);
    for (let id = 0; id < grams; id++) this.#postingStart[id + 1] = this.#postingStart[id] + postingCount[id];
    this.#postingData = new Uint32Array(total);
    const fill = this.#postingStart.slice(0, grams);
    gramLists.forEach((list, index) => {
      for (const id of list) this.#postingData[fill[id]++] = index;
    });
    this.#marks = new Uint32Array(this.#variants.length);
    this.#queryMarks = new Uint32Array(grams);
  }

  /** Every SDN whose best name scores at least `threshold` (0-1), best first, each with how it matched. */
  screen(name: string, threshold: number): ScreeningMatch[] {
    const tokens = nameTokens(name);
    if (tokens.length === 0) return [];
    const { normalized, sorted } = normalForms(tokens);
    this.#epoch = (this.#epoch + 1) >>> 0 || 1;
    if (this.#epoch === 1) {
      this.#marks.fill(0);
      this.#queryMarks.fill(0);
      this.#keyMarks.fill(0);
    }
    const epoch = this.#epoch;
    const marks = this.#marks;
    const queryMarks = this.#queryMarks;
    const keyMarks = this.#keyMarks;
    const gramOfKey = this.#gramOfKey;
    const postingStart = this.#postingStart;
    // The distinct trigrams of the name (q counts those no listed name has too), the known ones in #known.
    let q = 0;
    let knownCount = 0;
    forEachTrigram(tokens, (key) => {
      if (keyMarks[key] === epoch) return;
      keyMarks[key] = epoch;
      q++;
      const id = gramOfKey[key];
      if (id === -1) return;
      if (knownCount === this.#known.length) {
        const grown = new Int32Array(knownCount * 2);
        grown.set(this.#known);
        this.#known = grown;
      }
      this.#known[knownCount++] = id;
      queryMarks[id] = epoch;
    });
    const known = this.#known;
    // Rarest first (insertion sort: a name has a few dozen trigrams).
    const postings = (id: number) => postingStart[id + 1] - postingStart[id];
    for (let i = 1; i < knownCount; i++) {
      const id = known[i];
      const length = postings(id);
      let j = i - 1;
      while (j >= 0 && postings(known[j]) > length) {
        known[j + 1] = known[j];
        j--;
      }
      known[j + 1] = id;
    }
    const share = minTrigramShare(threshold);
    // Dice ≥ share bounds the candidate's trigram count and the trigrams it must share.
    const minCount = Math.ceil((q * share) / (2 - share));
    const maxCount = Math.floor((q * (2 - share)) / share);
    const minShared = Math.max(1, Math.ceil((share * (q + minCount)) / 2));
    const prefix = Math.min(knownCount, Math.max(0, q - minShared + 1));
    const gramCount = this.#gramCount;
    const gramStart = this.#gramStart;
    const gramData = this.#gramData;
    const postingData = this.#postingData;
    let best: Map<number, ScreeningMatch> | undefined;
    for (let p = 0; p < prefix; p++) {
      // A candidate first met here lacks the p rarer trigrams walked before: it shares at most
      // knownCount - p, which Dice ≥ share allows only up to this many trigrams of its own.
      const most = Math.min(maxCount, Math.floor((2 * (knownCount - p)) / share - q + 1e-9));
      if (most < minCount) break;
      const gram = known[p];
      const end = postingStart[gram + 1];
      for (let at = postingStart[gram]; at < end; at++) {
        const index = postingData[at];
        if (marks[index] === epoch) continue;
        marks[index] = epoch;
        const count = gramCount[index];
        if (count < minCount || count > most) continue;
        // Dice ≥ share needs this many shared trigrams; stop counting once the rest cannot make it up.
        const needed = Math.ceil((share * (q + count)) / 2 - 1e-9);
        let shared = 0;
        let missing = count - needed;
        const start = gramStart[index];
        for (let i = start; i < start + count && missing >= 0; i++) {
          if (queryMarks[gramData[i]] === epoch) shared++;
          else missing--;
        }
        if (missing < 0 || (2 * shared) / (q + count) < share) continue;
        const variant = this.#variants[index];
        const scored = this.#score(normalized, sorted, tokens, variant, threshold);
        if (!scored) continue;
        best ??= new Map();
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
    if (!best) return [];
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
    if (score < threshold && (tokens.length > 1 || variant.tokenCount > 1)) {
      const set = tokenSetScore(tokens, variant.normalized.split(' '));
      if (set > score) [score, method] = [set, 'token_set'];
    }
    return score >= threshold ? { score, method } : null;
  }
}
