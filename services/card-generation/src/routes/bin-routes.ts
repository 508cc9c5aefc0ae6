import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { TwoTierCache } from '../cache/two-tier-cache.ts';
import type { CardMetrics } from '../card-metrics.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';
import { issuedPerBin, listBins } from '../store/bin-store.ts';

export interface BinUsage {
  bin: string;
  network: string;
  panLength: number;
  capacity: number;
  /** Counters handed out (to api instances' blocks and bulk jobs): what capacity is spent on. */
  reserved: number;
  /** Cards written. */
  issued: number;
  /** capacity - reserved: what can still be issued; 0 means the BIN answers 409. */
  left: number;
  sandbox: boolean;
}

/** Reads BIN usage; the `issued` counts come from the cache (BIN_STATS_TTL_MS old at most). */
export async function readBinUsage(
  pool: pg.Pool,
  bins: readonly SandboxBin[],
  statsCache: TwoTierCache<{ counts: Record<string, number> }>,
): Promise<BinUsage[]> {
  const [rows, issued] = await Promise.all([
    listBins(pool),
    statsCache.get('issued', async () => ({ counts: Object.fromEntries(await issuedPerBin(pool)) })),
  ]);
  const configured = new Set(bins.map((b) => b.bin));
  return rows.map((r) => ({
    bin: r.bin,
    network: r.network,
    panLength: r.panLength,
    capacity: r.capacity,
    reserved: r.nextCounter,
    issued: issued?.counts[r.bin] ?? 0,
    left: r.capacity - r.nextCounter,
    sandbox: configured.has(r.bin),
  }));
}

export function registerBinRoutes(
  app: FastifyInstance,
  options: {
    pool: pg.Pool;
    bins: readonly SandboxBin[];
    statsCache: TwoTierCache<{ counts: Record<string, number> }>;
    metrics: CardMetrics;
  },
): void {
  app.get('/api/v1/bins', async () => {
    const usage = await readBinUsage(options.pool, options.bins, options.statsCache);
    for (const u of usage) {
      options.metrics.binCapacity.set({ bin: u.bin, network: u.network }, u.capacity);
      options.metrics.binReserved.set({ bin: u.bin, network: u.network }, u.reserved);
    }
    return { bins: usage };
  });
}
