import type { Redis } from 'ioredis';

/**
 * What a queue needs from Redis: `maxmemory-policy noeviction` (an evicted stream is lost mail) and
 * append-only persistence (entries survive a restart). Returns one warning per unmet setting; []
 * when both hold or when CONFIG is not allowed (managed Redis often renames it).
 */
export async function checkRedisDurability(redis: Redis): Promise<string[]> {
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
    warnings.push(`maxmemory-policy is ${String(policy)}: under memory pressure Redis may evict stream keys; set noeviction`);
  if (aof !== undefined && aof !== 'yes')
    warnings.push('appendonly is off: entries accepted since the last snapshot are lost if Redis restarts');
  return warnings;
}
