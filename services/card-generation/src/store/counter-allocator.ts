// Hi/lo counter allocation: an instance reserves a block of CARD_COUNTER_BLOCK_SIZE counters of a BIN
// in one UPDATE and hands them out from memory, so issuing a card costs no round trip for its number.
// A counter is handed out once: blocks never overlap (the UPDATE moves next_counter past them), and
// within the process each BIN's free ranges are taken under one lock.
// The next block is reserved ahead: once half a block or less is left in memory, one UPDATE runs in
// the background and its block joins the free ranges when it commits, so under steady traffic no
// request waits for a reservation's round trip and commit. A request waits only when it needs more
// than is held (a burst, or the first request of a BIN): then for the reservation in flight, or its own.
// Counters held when the process stops (up to about one and a half blocks) are never used: gaps in
// the counter space, never repeats.
import type pg from 'pg';
import { type CounterBlock, reserveUpTo } from './bin-store.ts';

export type Allocation = { ok: true; counters: number[] } | { ok: false; reason: 'exhausted'; available: number };

interface BinCounters {
  /** Free ranges, in the order their blocks were reserved. */
  ranges: CounterBlock[];
  /** The reservation ahead of need, while it runs. */
  ahead?: Promise<void>;
  /** A reservation came back short or empty: the BIN is full, no more reservations ahead. */
  full: boolean;
}

export class CounterAllocator {
  private readonly bins = new Map<string, BinCounters>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly pool: pg.Pool;
  private readonly blockSize: number;
  /** Called with the BIN and the size of every block reserved from the database. */
  onReserve?: (bin: string, size: number) => void;
  /** Called when a reservation ahead of need fails (the next request that needs counters reserves them itself). */
  onReserveAheadError?: (bin: string, error: unknown) => void;

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

  private countersOf(bin: string): BinCounters {
    let state = this.bins.get(bin);
    if (!state) {
      state = { ranges: [], full: false };
      this.bins.set(bin, state);
    }
    return state;
  }

  private async takeLocked(bin: string, count: number): Promise<Allocation> {
    const state = this.countersOf(bin);
    for (let available = heldIn(state); available < count; available = heldIn(state)) {
      if (state.ahead) {
        await state.ahead;
        continue;
      }
      const block = await reserveUpTo(this.pool, bin, Math.max(this.blockSize, count - available));
      if (!block) {
        state.full = true;
        return { ok: false, reason: 'exhausted', available };
      }
      this.add(bin, state, block);
    }
    const counters: number[] = [];
    const { ranges } = state;
    while (counters.length < count) {
      const range = ranges[0];
      const n = Math.min(count - counters.length, range.end - range.start);
      for (let i = 0; i < n; i++) counters.push(range.start + i);
      range.start += n;
      if (range.start === range.end) ranges.shift();
    }
    if (!state.ahead && !state.full && heldIn(state) * 2 <= this.blockSize) this.reserveAhead(bin, state);
    return { ok: true, counters };
  }

  private add(bin: string, state: BinCounters, block: CounterBlock): void {
    state.ranges.push(block);
    this.onReserve?.(bin, block.end - block.start);
  }

  private reserveAhead(bin: string, state: BinCounters): void {
    state.ahead = reserveUpTo(this.pool, bin, this.blockSize).then(
      (block) => {
        state.ahead = undefined;
        if (!block || block.end - block.start < this.blockSize) state.full = true;
        if (block) this.add(bin, state, block);
      },
      (error: unknown) => {
        state.ahead = undefined;
        this.onReserveAheadError?.(bin, error);
      },
    );
  }

  /** Counters held in memory for a BIN (not yet handed out), a block reserved ahead included once it has committed. */
  held(bin: string): number {
    const state = this.bins.get(bin);
    return state ? heldIn(state) : 0;
  }

  /** Resolves once no reservation ahead of need is running (shutdown: before the pool closes). */
  async drain(): Promise<void> {
    await Promise.all([...this.bins.values()].map((state) => state.ahead));
  }
}

function heldIn(state: BinCounters): number {
  let sum = 0;
  for (const r of state.ranges) sum += r.end - r.start;
  return sum;
}
