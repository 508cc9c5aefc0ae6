// The synchronous path: counters from the in-process block, PANs by construction, one INSERT.
import type pg from 'pg';
import type { CardMetrics } from '../card-metrics.ts';
import { insertCards } from '../store/card-store.ts';
import type { CounterAllocator } from '../store/counter-allocator.ts';
import { uniqueViolationConstraint, withWriteRetries } from '../store/write-retry.ts';
import type { CardMinter, MintedCard } from './card-minter.ts';
import type { NetworkId } from './networks.ts';
import type { SandboxBin } from './sandbox-bins.ts';

export type IssueResult =
  | { ok: true; bin: SandboxBin; cards: MintedCard[] }
  | { ok: false; reason: 'exhausted'; bins: { bin: string; available: number }[] };

export interface CardIssuerOptions {
  pool: pg.Pool;
  minter: CardMinter;
  allocator: CounterAllocator;
  metrics: CardMetrics;
  maxRetries: number;
  retryDelayMs: number;
}

export class CardIssuer {
  private readonly options: CardIssuerOptions;

  constructor(options: CardIssuerOptions) {
    this.options = options;
  }

  /** `count` cards from the first of `bins` (all of one network) that has room for all of them. */
  async issue(network: NetworkId, bins: readonly SandboxBin[], count: number): Promise<IssueResult> {
    const { allocator, minter, pool, metrics } = this.options;
    const full: { bin: string; available: number }[] = [];
    for (const bin of bins) {
      const allocation = await allocator.take(bin.bin, count);
      if (!allocation.ok) {
        full.push({ bin: bin.bin, available: allocation.available });
        continue;
      }
      const stop = metrics.generationDuration.startTimer({ path: 'sync' });
      const cards = minter.mint(bin, allocation.counters);
      try {
        await withWriteRetries(() => insertCards(pool, cards), {
          maxRetries: this.options.maxRetries,
          retryDelayMs: this.options.retryDelayMs,
          onRetry: () => metrics.writeRetries.inc({ path: 'sync' }),
        });
      } catch (error) {
        const constraint = uniqueViolationConstraint(error);
        if (constraint) metrics.uniquenessViolations.inc({ constraint });
        throw error;
      } finally {
        stop();
      }
      metrics.cardsGenerated.inc({ network, path: 'sync' }, count);
      return { ok: true, bin, cards };
    }
    return { ok: false, reason: 'exhausted', bins: full };
  }
}
