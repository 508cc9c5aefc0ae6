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
 * A loaded sanctions list, immutable: every SDN name and alias in normal form, indexed by the
 * first letter of each token so that a screening compares a name only with candidates that share
 * at least one token initial (and whose length can still reach the threshold).
 */
export class SanctionsList {
  readonly identity: ListIdentity;
  readonly #variants: Variant[] = [];
  readonly #byInitial = new Map<string, number[]>();

  constructor(entries: readonly SdnEntry[], aliases: readonly SdnAlias[], identity: Omit<ListIdentity, 'entries' | 'aliases'>) {
    const byNum = new Map(entries.map((entry) => [entry.entNum, entry]));
    const add = (entry: SdnEntry, name: string, matchedAs: Variant['matchedAs']) => {
      const tokens = nameTokens(name, { lastNameFirst: entry.type === 'individual' });
      if (tokens.length === 0) return;
      const index = this.#variants.length;
      this.#variants.push({ entry, name, matchedAs, tokens, normalized: tokens.join(' '), sorted: [...tokens].sort().join(' ') });
      for (const initial of new Set(tokens.map((token) => token[0]))) {
        const bucket = this.#byInitial.get(initial);
        if (bucket) bucket.push(index);
        else this.#byInitial.set(initial, [index]);
      }
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
  }

  /** Every SDN whose best name scores at least `threshold` (0-1), best first, each with how it matched. */
  screen(name: string, threshold: number): ScreeningMatch[] {
    const tokens = nameTokens(name);
    if (tokens.length === 0) return [];
    const normalized = tokens.join(' ');
    const sorted = [...tokens].sort().join(' ');
    const seen = new Set<number>();
    const best = new Map<number, ScreeningMatch>();
    for (const initial of new Set(tokens.map((token) => token[0]))) {
      for (const index of this.#byInitial.get(initial) ?? []) {
        if (seen.has(index)) continue;
        seen.add(index);
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
