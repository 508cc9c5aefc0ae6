import type { Redis } from 'ioredis';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import { flatToObject } from '../redis/create-redis.ts';
import { PERSISTENCE_GROUP, partitionList, type StreamKeys } from './stream-keys.ts';

export interface PartitionQueueState {
  partition: number;
  /** Entries not yet delivered to the persistence group. */
  lag: number;
  /** True when Redis could not compute `lag` (tombstones in the range) and the stream length stands in for it. */
  lagEstimated: boolean;
  /** Delivered, not acknowledged. */
  pending: number;
  /** Entries kept in the stream (retention). */
  length: number;
}

export interface QueueState {
  partitions: PartitionQueueState[];
  deadLetters: number;
  maxLag: number;
  totalLag: number;
  totalPending: number;
}

/**
 * Reads every partition's position in one pipeline: XINFO GROUPS gives `lag` (Redis 7.0+) and
 * `pending` of the persistence group; XLEN the retention and the stand-in when `lag` is null.
 */
export async function readQueueState(redis: Redis, keys: StreamKeys): Promise<QueueState> {
  const pipeline = redis.pipeline();
  for (const partition of partitionList(keys.partitions)) {
    pipeline.xinfo('GROUPS', keys.stream(partition));
    pipeline.xlen(keys.stream(partition));
  }
  pipeline.xlen(keys.dlq);
  const results = (await pipeline.exec()) ?? [];
  const partitions = partitionList(keys.partitions).map((partition): PartitionQueueState => {
    const [infoError, info] = results[partition * 2] ?? [];
    const length = Number(results[partition * 2 + 1]?.[1] ?? 0);
    const group = infoError ? undefined : ((info as unknown[]) ?? []).map(flatToObject).find((g) => g.name === PERSISTENCE_GROUP);
    if (!group) return { partition, lag: length, lagEstimated: true, pending: 0, length };
    const lag = group.lag === null || group.lag === undefined ? null : Number(group.lag);
    return { partition, lag: lag ?? length, lagEstimated: lag === null, pending: Number(group.pending ?? 0), length };
  });
  const deadLetters = Number(results[keys.partitions * 2]?.[1] ?? 0);
  return {
    partitions,
    deadLetters,
    maxLag: Math.max(0, ...partitions.map((p) => p.lag)),
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
    totalPending: partitions.reduce((sum, p) => sum + p.pending, 0),
  };
}

/** Samples the queue state into the lag, pending and DLQ gauges every `intervalMs`; returns a stop function. */
export function startLagSampler(
  redis: Redis,
  keys: StreamKeys,
  metrics: MessagingMetrics,
  intervalMs: number,
  onError: (error: unknown) => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const sample = async () => {
    try {
      const state = await readQueueState(redis, keys);
      for (const p of state.partitions) {
        metrics.partitionLag.set({ partition: String(p.partition) }, p.lag);
        metrics.partitionPending.set({ partition: String(p.partition) }, p.pending);
      }
      metrics.deadLetterQueueLength.set(state.deadLetters);
    } catch (error) {
      onError(error);
    }
    if (!stopped) timer = setTimeout(sample, intervalMs).unref();
  };
  void sample();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
