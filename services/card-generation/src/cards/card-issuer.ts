// The synchronous path: counters from the in-process block, PANs by construction, one INSERT.
// Concurrent requests share their INSERT: whatever arrives while the INSERT slots are busy goes in
// the next multi-row INSERT (one round trip and one commit, so one WAL flush, for all of them). A
// request is answered only once its rows are committed. A shared INSERT that fails is retried one
// request at a time, so a request the database refuses cannot fail the others of its batch.
import { createMicroBatcher, type MicroBatcher } from '@cutover/service-kit';
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

/** Most requests whose cards share one INSERT (each has at most 100 cards). */
export const INSERT_BATCH_MAX_REQUESTS = 50;
/** INSERTs in flight at once per process; requests arriving meanwhile form the next batch. */
export const INSERT_CONCURRENCY = 4;

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
  /** Per request: undefined once its cards are committed, or the error that refused them. */
  private readonly inserts: MicroBatcher<readonly MintedCard[], unknown>;

  constructor(options: CardIssuerOptions) {
    this.options = options;
    const { pool } = options;
    this.inserts = createMicroBatcher<readonly MintedCard[], unknown>({
      maxBatch: INSERT_BATCH_MAX_REQUESTS,
      concurrency: INSERT_CONCURRENCY,
      async run(batches) {
        try {
          await insertCards(pool, batches.length === 1 ? batches[0] : batches.flat());
          return batches.map(() => undefined);
        } catch (error) {
          if (batches.length === 1) return [error];
          // Nothing of the failed statement was written: each request alone, so a refused one fails
          // by itself and the others go in.
          const alone = await Promise.allSettled(batches.map((cards) => insertCards(pool, cards)));
          return alone.map((r) => (r.status === 'rejected' ? r.reason : undefined));
        }
      },
    });
  }

  /** Inserts one request's cards (in a statement shared with concurrent requests); rejects with this request's own error. */
  private async insert(cards: readonly MintedCard[]): Promise<void> {
    const error = await this.inserts.submit(cards);
    if (error !== undefined) throw error;
  }

  /** Resolves once every INSERT submitted so far has finished (shutdown). */
  drain(): Promise<void> {
    return this.inserts.drain();
  }

  /** `count` cards from the first of `bins` (all of one network) that has room for all of them. */
  async issue(network: NetworkId, bins: readonly SandboxBin[], count: number): Promise<IssueResult> {
    const { allocator, minter, metrics } = this.options;
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
        await withWriteRetries(() => this.insert(cards), {
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
