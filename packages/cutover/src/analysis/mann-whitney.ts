import { normalSf } from './normal-tail.ts';

/** `greater`: x tends to be larger than y (the canary is slower); `less`: smaller; `two-sided`: either. */
export type Alternative = 'greater' | 'less' | 'two-sided';

export interface MannWhitneyOptions {
  /** Default 'two-sided'. */
  alternative?: Alternative;
  /** `auto` (default) is exact when a sample has at most 8 values and nothing is tied, else asymptotic. */
  method?: 'auto' | 'exact' | 'asymptotic';
  /** Continuity correction of the normal approximation (default true). */
  continuity?: boolean;
}

export interface MannWhitneyResult {
  /** U statistic of x: how many (x, y) pairs have x > y, ties counting one half. */
  u: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  n1: number;
  n2: number;
  /** Whether any values were tied (forcing the tie-corrected normal approximation under `auto`). */
  ties: boolean;
}

/** Sample sizes above which `auto` stops using the exact distribution (both must be above it). */
export const EXACT_MAX_SMALLER_SAMPLE = 8;

/**
 * Mann-Whitney U test of two independent samples, following the textbook rank-sum form and the
 * same choices as scipy.stats.mannwhitneyu (auto method, tie-corrected variance, continuity
 * correction), so its p-values can be checked against scipy digit for digit.
 *
 * Exact: the null distribution of U is the number of ways to pick which n1 of the n1+n2 ranks
 * belong to x, i.e. the coefficients of the Gaussian binomial [n1+n2 choose n1]_q; counted with
 * BigInt so no intermediate rounds. Asymptotic: z = (U - n1·n2/2 - 0.5) / σ with
 * σ² = n1·n2/12 · ((n+1) - Σ(t³-t)/(n(n-1))), one term per group of t tied values.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value in each sample');
  if ([...x, ...y].some((value) => !Number.isFinite(value))) throw new RangeError('mannWhitneyU needs finite numbers');
  const alternative = options.alternative ?? 'two-sided';
  const { ranks, tieGroups } = rankWithTies([...x, ...y]);
  let rankSum = 0;
  for (let i = 0; i < n1; i++) rankSum += ranks[i];
  const u1 = rankSum - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const ties = tieGroups.length > 0;
  const uTail = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const factor = alternative === 'two-sided' ? 2 : 1;
  const requested = options.method ?? 'auto';
  const method = requested === 'auto' ? (Math.min(n1, n2) <= EXACT_MAX_SMALLER_SAMPLE && !ties ? 'exact' : 'asymptotic') : requested;
  let p: number;
  if (method === 'exact') {
    p = exactUpperTail(n1, n2, uTail);
  } else {
    const n = n1 + n2;
    const tieTerm = tieGroups.reduce((sum, t) => sum + t ** 3 - t, 0);
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    const numerator = uTail - (n1 * n2) / 2 - (options.continuity === false ? 0 : 0.5);
    // All values equal: σ = 0, no evidence either way.
    p = sigma === 0 ? 1 : normalSf(numerator / sigma);
  }
  return { u: u1, pValue: Math.min(1, Math.max(0, p * factor)), method, n1, n2, ties };
}

/** Average ranks (1-based) of the values, and the size of each group of tied values. */
export function rankWithTies(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  const tieGroups: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].value === order[start].value) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) ranks[order[i].index] = averageRank;
    if (end > start) tieGroups.push(end - start + 1);
    start = end + 1;
  }
  return { ranks, tieGroups };
}

/** P(U >= u) under the null hypothesis, from the exact distribution (no ties). */
function exactUpperTail(n1: number, n2: number, u: number): number {
  const counts = gaussianBinomialCoefficients(Math.min(n1, n2), Math.max(n1, n2));
  const threshold = Math.ceil(u - 1e-9);
  let tail = 0n;
  let total = 0n;
  for (let k = 0; k < counts.length; k++) {
    total += counts[k];
    if (k >= threshold) tail += counts[k];
  }
  return Number(tail) / Number(total);
}

/**
 * Coefficients of [m+n choose m]_q = Π_{i=1..m} (1 - q^(n+i)) / (1 - q^i): entry k counts the
 * arrangements with U = k. Each step multiplies then divides exactly, so every coefficient stays
 * a non-negative integer after the step.
 */
function gaussianBinomialCoefficients(m: number, n: number): bigint[] {
  const degree = m * n;
  const coefficients = new Array<bigint>(degree + 1).fill(0n);
  coefficients[0] = 1n;
  for (let i = 1; i <= m; i++) {
    const up = n + i;
    for (let k = degree; k >= up; k--) coefficients[k] -= coefficients[k - up];
    for (let k = i; k <= degree; k++) coefficients[k] += coefficients[k - i];
  }
  return coefficients;
}
