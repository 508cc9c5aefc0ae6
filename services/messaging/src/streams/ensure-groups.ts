import { isBusyGroup, type RedisClient } from '../redis/create-redis.ts';
import { execBySlot, type SlotCommand } from '../redis/pipeline-by-slot.ts';
import { DLQ_GROUP, PERSISTENCE_GROUP, partitionList, type StreamKeys } from './stream-keys.ts';

/**
 * Creates the persistence group on every partition stream at id 0 with MKSTREAM (so no entry added
 * before a consumer first runs is ever skipped), and the dead-letter group on every dead-letter stream. Idempotent: every
 * process runs it at start.
 */
export async function ensureConsumerGroups(
  redis: RedisClient,
  keys: StreamKeys,
  extra: { group: string; startId: string }[] = [],
): Promise<void> {
  const commands: SlotCommand[] = [];
  const create = (stream: string, group: string, startId: string) =>
    commands.push({ key: stream, command: 'XGROUP', args: ['CREATE', stream, group, startId, 'MKSTREAM'] });
  for (const partition of partitionList(keys.partitions)) {
    create(keys.stream(partition), PERSISTENCE_GROUP, '0');
    for (const { group, startId } of extra) create(keys.stream(partition), group, startId);
  }
  for (const { key } of keys.deadLetterStreams) create(key, DLQ_GROUP, '0');
  const results = await execBySlot(redis, commands);
  for (const [error] of results) {
    if (error && !isBusyGroup(error)) throw error;
  }
}
