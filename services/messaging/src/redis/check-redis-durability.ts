import type { Redis } from 'ioredis';
import type { RedisClient } from './create-redis.ts';

/**
 * What a queue needs from Redis: `maxmemory-policy noeviction` (an evicted stream is lost mail) and
 * append-only persistence (entries survive a restart). Returns one warning per unmet setting (on a
 * cluster per master, naming it); [] when both hold or when CONFIG is not allowed (managed Redis
 * often renames it).
 */
export async function checkRedisDurability(redis: RedisClient): Promise<string[]> {
  if (!redis.isCluster) return checkNode(redis as Redis, '');
  const masters = (redis as Exclude<RedisClient, Redis>).nodes('master');
  const warnings = await Promise.all(masters.map((node) => checkNode(node, `${node.options.host}:${node.options.port}: `)));
  return warnings.flat();
}

async function checkNode(redis: Redis, label: string): Promise<string[]> {
  let policy: unknown;
  let aof: unknown;
  try {
    [, policy] = (await redis.config('GET', 'maxmemory-policy')) as unknown[];
    [, aof] = (await redis.config('GET', 'appendonly')) as unknown[];
  } catch {
    return [];
  }
  const warnings: string[] = [];
  if (policy !== undefined && policy !== 'noeviction')
    warnings.push(`${label}maxmemory-policy is ${String(policy)}: under memory pressure Redis may evict stream keys; set noeviction`);
  if (aof !== undefined && aof !== 'yes')
    warnings.push(`${label}appendonly is off: entries accepted since the last snapshot are lost if Redis restarts`);
  return warnings;
}
