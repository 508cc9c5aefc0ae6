/** What selection needs to know about a target. */
export interface Balanced {
  readonly release: string;
  readonly healthy: boolean;
  readonly draining: boolean;
  /** Epoch ms until which passive ejection excludes the target; 0 when not ejected. */
  readonly ejectedUntilMs: number;
  readonly inFlight: number;
}

/**
 * Chooses the target for a new request, without I/O. Eligible targets are healthy, not draining and
 * not ejected; the one with the fewest outstanding requests wins and ties rotate round-robin from
 * the last pick. With release weights, a release is chosen first by smooth weighted round-robin
 * (nginx's algorithm: exact shares over every window of sum-of-weights picks, interleaved rather than
 * bursty) among releases that have an eligible target, then a target inside it. When no weighted
 * release can serve, any eligible target is used, and when passive ejection has removed every
 * healthy target, ejected ones are tried again: a guess beats a certain 503.
 */
export class LoadBalancer<T extends Balanced> {
  #cursor = 0;
  #weights: [release: string, weight: number][] | null = null;
  #current = new Map<string, number>();

  /** Share of new requests per release (relative numbers); null spreads over all eligible targets. */
  setWeights(weights: Readonly<Record<string, number>> | null): void {
    this.#weights = weights === null ? null : Object.entries(weights).filter(([, weight]) => weight > 0);
    this.#current.clear();
  }

  get weights(): Record<string, number> | null {
    return this.#weights === null ? null : Object.fromEntries(this.#weights);
  }

  /** Whether traffic is split: weights are set and more than one release has a share. */
  get isSplit(): boolean {
    return this.#weights !== null && this.#weights.length > 1;
  }

  /** Whether the release gets a share of new requests (weights are set and its weight is above 0). */
  isWeighted(release: string): boolean {
    if (this.#weights === null) return false;
    for (const [name] of this.#weights) if (name === release) return true;
    return false;
  }

  /**
   * The release owning a point of the weight range (`fraction` in [0, 1)): releases take consecutive
   * slices in the order the weights were given, so a client hashed into the last release's slice
   * stays there while that release's weight grows. Null without weights.
   */
  releaseAt(fraction: number): string | null {
    if (this.#weights === null || this.#weights.length === 0) return null;
    let total = 0;
    for (const [, weight] of this.#weights) total += weight;
    let point = fraction * total;
    for (const [release, weight] of this.#weights) {
      if (point < weight) return release;
      point -= weight;
    }
    return this.#weights[this.#weights.length - 1][0];
  }

  /** The least busy eligible target of one release, whatever the weights; null when it has none. */
  pickInRelease(targets: readonly T[], nowMs: number, release: string, exclude: T | null = null): T | null {
    return this.#leastOutstanding(targets, nowMs, exclude, release, false);
  }

  /** `exclude` is the target a retry must avoid. */
  pick(targets: readonly T[], nowMs: number, exclude: T | null = null): T | null {
    if (this.#weights !== null) {
      const release = this.#pickRelease(targets, nowMs, exclude);
      if (release !== null) return this.#leastOutstanding(targets, nowMs, exclude, release, false);
    }
    return this.#leastOutstanding(targets, nowMs, exclude, null, false) ?? this.#leastOutstanding(targets, nowMs, exclude, null, true);
  }

  #pickRelease(targets: readonly T[], nowMs: number, exclude: T | null): string | null {
    let total = 0;
    let best: string | null = null;
    let bestCurrent = Number.NEGATIVE_INFINITY;
    for (const [release, weight] of this.#weights!) {
      if (!hasEligible(targets, nowMs, exclude, release)) continue;
      const current = (this.#current.get(release) ?? 0) + weight;
      this.#current.set(release, current);
      total += weight;
      if (current > bestCurrent) {
        bestCurrent = current;
        best = release;
      }
    }
    if (best !== null) this.#current.set(best, bestCurrent - total);
    return best;
  }

  #leastOutstanding(targets: readonly T[], nowMs: number, exclude: T | null, release: string | null, allowEjected: boolean): T | null {
    const count = targets.length;
    let best = -1;
    let bestInFlight = Number.POSITIVE_INFINITY;
    for (let step = 0; step < count; step++) {
      const index = (this.#cursor + step) % count;
      const target = targets[index];
      if (target.inFlight >= bestInFlight || !isEligible(target, nowMs, exclude, allowEjected)) continue;
      if (release !== null && target.release !== release) continue;
      best = index;
      bestInFlight = target.inFlight;
    }
    if (best === -1) return null;
    this.#cursor = best + 1;
    return targets[best];
  }
}

function isEligible(target: Balanced, nowMs: number, exclude: Balanced | null, allowEjected: boolean): boolean {
  return target !== exclude && target.healthy && !target.draining && (allowEjected || target.ejectedUntilMs <= nowMs);
}

function hasEligible(targets: readonly Balanced[], nowMs: number, exclude: Balanced | null, release: string): boolean {
  for (const target of targets) {
    if (target.release === release && isEligible(target, nowMs, exclude, false)) return true;
  }
  return false;
}
