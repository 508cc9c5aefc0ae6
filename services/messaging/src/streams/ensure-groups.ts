import type { Redis } from 'ioredis';
import { isBusyGroup } from '../redis/create-redis.ts';
import { DLQ_GROUP, PERSISTENCE_GROUP, partitionList, type StreamKeys } from './stream-keys.ts';

/**
 * Creates the persistence group on every partition stream at id 0 with MKSTREAM (so no entry added
 * before a consumer first runs is ever skipped), and the dead-letter group. Idempotent: every
 * process runs it at start.
 */
export async function ensureConsumerGroups(
  redis: Redis,
  keys: StreamKeys,
  extra: { group: string; startId: string }[] = [],
): Promise<void> {
  const pipeline = redis.pipeline();
  for (const partition of partitionList(keys.partitions)) {
    pipeline.xgroup('CREATE', keys.stream(partition), PERSISTENCE_GROUP, '0', 'MKSTREAM');
    for (const { group, startId } of extra) pipeline.xgroup('CREATE', keys.stream(partition), group, startId, 'MKSTREAM');
  }
  pipeline.xgroup('CREATE', keys.dlq, DLQ_GROUP, '0', 'MKSTREAM');
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) {
    if (error && !isBusyGroup(error)) throw error;
  }
}
