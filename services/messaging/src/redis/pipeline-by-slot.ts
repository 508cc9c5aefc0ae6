import type { RedisClient } from './create-redis.ts';

/** One command of a pipeline, with the key that decides its slot (for EVAL: its first key). */
export interface SlotCommand {
  key: string;
  command: string;
  args: readonly (string | number)[];
}

/** `[error, reply]` per command, like ioredis's `pipeline.exec()`. */
export type PipelineReply = [Error | null, unknown];

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and the next `}` when
 * that is not empty, else the whole key. Keys with the same hash tag are in the same slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

/**
 * Sends `commands` as pipelines and returns their replies in the order given. On one Redis that is
 * one pipeline. On a cluster a pipeline must stay within one slot, so the commands go as one
 * pipeline per hash tag, all at once; a pipeline that fails as a whole gives its error to each of
 * its commands. Nothing here is atomic across commands (a pipeline never is).
 */
export async function execBySlot(redis: RedisClient, commands: readonly SlotCommand[]): Promise<PipelineReply[]> {
  const groups = new Map<string, number[]>();
  commands.forEach((c, i) => {
    const tag = redis.isCluster ? hashTagOf(c.key) : '';
    const group = groups.get(tag);
    if (group) group.push(i);
    else groups.set(tag, [i]);
  });
  const replies: PipelineReply[] = new Array(commands.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const pipeline = redis.pipeline();
      for (const i of indexes) {
        const { command, args } = commands[i] as SlotCommand;
        pipeline.call(command, ...args);
      }
      try {
        const results = (await pipeline.exec()) ?? [];
        indexes.forEach((i, j) => {
          replies[i] = (results[j] as PipelineReply | undefined) ?? [new Error('no reply from Redis'), null];
        });
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const i of indexes) replies[i] = [failure, null];
      }
    }),
  );
  return replies;
}
