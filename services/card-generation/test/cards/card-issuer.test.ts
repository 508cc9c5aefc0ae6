// The shared multi-row INSERT: when the database refuses one request's cards, the statement shared
// with other requests fails as a whole; each request is then inserted alone, so only the refused one
// fails. Fakes stand in for the pool, the allocator and the minter: what is under test is the issuer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import type { CardMetrics } from '../../src/card-metrics.ts';
import { CardIssuer } from '../../src/cards/card-issuer.ts';
import type { CardMinter, MintedCard } from '../../src/cards/card-minter.ts';
import type { SandboxBin } from '../../src/cards/sandbox-bins.ts';
import type { CounterAllocator } from '../../src/store/counter-allocator.ts';

test('a shared INSERT the database refuses for one request is retried per request: the others are committed', async () => {
  const refusedId = 'card-2';
  const statements: string[][] = [];
  const committed: string[] = [];
  const pool = {
    async query(statement: { values: unknown[] }) {
      const ids = statement.values[0] as string[];
      statements.push(ids);
      if (ids.includes(refusedId)) throw Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'cards_pan_hash_key' });
      committed.push(...ids);
      return { rows: [] };
    },
  } as unknown as pg.Pool;
  let next = 0;
  const allocator = {
    async take(_bin: string, count: number) {
      const counters = Array.from({ length: count }, () => next++);
      return { ok: true, counters };
    },
  } as unknown as CounterAllocator;
  const minter = {
    mint: (bin: SandboxBin, counters: ArrayLike<number>) =>
      Array.from(counters, (counter) => ({ id: `card-${counter}`, bin: bin.bin, counter }) as unknown as MintedCard),
  } as unknown as CardMinter;
  const noop = { inc() {}, startTimer: () => () => {} };
  const metrics = {
    generationDuration: noop,
    writeRetries: noop,
    uniquenessViolations: noop,
    cardsGenerated: noop,
  } as unknown as CardMetrics;
  const issuer = new CardIssuer({ pool, minter, allocator, metrics, maxRetries: 0, retryDelayMs: 0 });
  const bin = { bin: '400000' } as SandboxBin;

  // Three requests of one card each, in the same turn of the event loop: one shared INSERT.
  const results = await Promise.allSettled([0, 1, 2].map(() => issuer.issue('visa', [bin], 1)));
  await issuer.drain();

  assert.deepEqual(statements[0], ['card-0', 'card-1', 'card-2'], 'the three requests shared the first INSERT');
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  assert.equal((results[2] as PromiseRejectedResult).reason.code, '23505');
  assert.deepEqual(committed.sort(), ['card-0', 'card-1']);
});
