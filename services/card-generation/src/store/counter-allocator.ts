// Hi/lo counter allocation: an instance reserves a block of CARD_COUNTER_BLOCK_SIZE counters of a BIN
// in one UPDATE and hands them out from memory, so issuing a card costs no round trip for its number.
// A counter is handed out once: blocks never overlap (the UPDATE moves next_counter past them), and
// within the process each BIN's free ranges are taken under one lock. Counters left in a block when
// the process stops are never used (gaps in the counter space, never repeats).
import type pg from 'pg';
import { reserveUpTo } from './bin-store.ts';

export type Allocation = { ok: true; counters: number[] } | { ok: false; reason: 'exhausted'; available: number };

export class CounterAllocator {
  private readonly free = new Map<string, { start: number; end: number }[]>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly pool: pg.Pool;
  private readonly blockSize: number;
  /** Called with the BIN and the size of every block reserved from the database. */
  onReserve?: (bin: string, size: number) => void;

  constructor(pool: pg.Pool, blockSize: number) {
    this.pool = pool;
    this.blockSize = blockSize;
  }

  /** `count` counters of `bin`, or 'exhausted' (and none taken) when the BIN has fewer left. */
  take(bin: string, count: number): Promise<Allocation> {
    const previous = this.locks.get(bin) ?? Promise.resolve();
    const next = previous.then(() => this.takeLocked(bin, count));
    this.locks.set(
      bin,
      next.catch(() => undefined),
    );
    return next;
  }

  private async takeLocked(bin: string, count: number): Promise<Allocation> {
    const ranges = this.free.get(bin) ?? [];
    this.free.set(bin, ranges);
    let available = ranges.reduce((sum, r) => sum + r.end - r.start, 0);
    while (available < count) {
      const block = await reserveUpTo(this.pool, bin, Math.max(this.blockSize, count - available));
      if (!block) return { ok: false, reason: 'exhausted', available };
      this.onReserve?.(bin, block.end - block.start);
      ranges.push(block);
      available += block.end - block.start;
    }
    const counters: number[] = [];
    while (counters.length < count) {
      const range = ranges[0];
      const n = Math.min(count - counters.length, range.end - range.start);
      for (let i = 0; i < n; i++) counters.push(range.start + i);
      range.start += n;
      if (range.start === range.end) ranges.shift();
    }
    return { ok: true, counters };
  }

  /** Counters held in memory for a BIN (not yet handed out). */
  held(bin: string): number {
    return (this.free.get(bin) ?? []).reduce((sum, r) => sum + r.end - r.start, 0);
  }
}
