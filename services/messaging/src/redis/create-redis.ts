import { Redis, type RedisOptions } from 'ioredis';
import type { MessagingConfig } from '../messaging-config.ts';

type RedisConfig = Pick<MessagingConfig, 'REDIS_URL' | 'REDIS_HOST' | 'REDIS_PORT' | 'REDIS_PASSWORD' | 'REDIS_STREAM_DB'>;

/**
 * A Redis connection from the environment: REDIS_URL when set, else the guide's REDIS_HOST,
 * REDIS_PORT, REDIS_PASSWORD and REDIS_STREAM_DB. `name` shows in CLIENT LIST.
 */
export function createRedis(config: RedisConfig, name: string, options: RedisOptions = {}): Redis {
  // RESP2: stream replies keep their documented nested-array shapes (RESP3 turns XREADGROUP's reply into a map).
  const base: RedisOptions = { connectionName: name, maxRetriesPerRequest: 2, protocol: 2, ...options };
  if (config.REDIS_URL) return new Redis(config.REDIS_URL, base);
  return new Redis({
    host: config.REDIS_HOST,
    port: config.REDIS_PORT,
    db: config.REDIS_STREAM_DB,
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
    ...base,
  });
}

/** A RESP2 field/value array (XINFO, stream entries) as an object. */
export function flatToObject(flat: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** True for Redis's "the group already exists" answer to XGROUP CREATE. */
export function isBusyGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('BUSYGROUP');
}
