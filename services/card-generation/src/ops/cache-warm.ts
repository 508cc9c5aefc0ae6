// npm run cache:warm [-- --json] [--cards N]: the guide's hourly cache warming. Puts the BIN usage
// figures and the N most recent cards (masked views) into the Redis tier, so the first reads after
// a Redis restart or a deploy do not all go to PostgreSQL. Each instance's in-process tier fills
// from Redis on its first read.
import { TwoTierCache } from '../cache/two-tier-cache.ts';
import { buildRedisKeys, createRedis } from '../redis/create-redis.ts';
import { issuedPerBin } from '../store/bin-store.ts';
import { findCard, type StoredCard } from '../store/card-store.ts';
import { opsContext, option } from './ops-context.ts';

const ops = opsContext('cache-warm');
const limit = Number(option(ops.args, 'cards', String(Math.min(ops.config.MULTI_TIER_CACHE_LOCAL_SIZE, 10_000))));
const redis = createRedis(ops.config, 'card-generation-cache-warm', { maxRetriesPerRequest: 2 });
redis.on('error', () => undefined);
const keys = buildRedisKeys(ops.config.REDIS_KEY_PREFIX);
const common = { redis, keys, localSize: 0, localTtlMs: 1, remoteTtlMs: ops.config.MULTI_TIER_CACHE_REMOTE_TTL_MS };
const cards = new TwoTierCache<StoredCard>({ ...common, namespace: 'card' });
const stats = new TwoTierCache<{ counts: Record<string, number> }>({
  ...common,
  namespace: 'bin-stats',
  remoteTtlMs: Math.max(1_000, ops.config.BIN_STATS_TTL_MS),
});
const startedAt = performance.now();
await stats.set('issued', { counts: Object.fromEntries(await issuedPerBin(ops.pool)) });
const { rows } = await ops.pool.query<{ id: string }>('SELECT id FROM cards ORDER BY created_at DESC LIMIT $1', [limit]);
let warmed = 0;
for (let i = 0; i < rows.length; i += 100) {
  const page = await Promise.all(rows.slice(i, i + 100).map((r) => findCard(ops.pool, r.id)));
  await Promise.all(page.map((card) => (card ? cards.set(card.id, card).then(() => warmed++) : undefined)));
}
await redis.quit();
const durationMs = Math.round(performance.now() - startedAt);
await ops.finish(
  { cards: warmed, binStats: true, durationMs },
  `warmed ${warmed} cards and the BIN usage figures in ${durationMs} ms`,
  true,
);
