import { leaseHolderMode } from '../consumer/partition-lease-manager.ts';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import { flatToObject, type RedisClient } from '../redis/create-redis.ts';
import { execBySlot, type SlotCommand } from '../redis/pipeline-by-slot.ts';
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
  /** The consumer holding the partition's lease (`<name>/<mode>`), null when none does. */
  holder: string | null;
  /** A write-mode consumer holds the partition: its lag measures how well persistence keeps up. */
  persisting: boolean;
}

export interface QueueState {
  partitions: PartitionQueueState[];
  deadLetters: number;
  /** The worst lag among partitions a write-mode consumer holds (0 when none does): are consumers keeping up? */
  maxLag: number;
  /** Entries waiting on partitions no write-mode consumer holds (expected while consumers are disabled or shadowing). */
  unownedLag: number;
  totalLag: number;
  totalPending: number;
  /** Partitions held by write-mode consumers, shadow consumers, and nobody. */
  holders: { write: number; shadow: number; none: number };
}

/**
 * Reads every partition's position in one pipeline (one per slot on a cluster): XINFO GROUPS gives `lag` (Redis 7.0+) and
 * `pending` of the persistence group; XLEN the retention and the stand-in when `lag` is null; the
 * lease keys who consumes each partition, and in which mode.
 */
export async function readQueueState(redis: RedisClient, keys: StreamKeys): Promise<QueueState> {
  const commands: SlotCommand[] = [];
  for (const partition of partitionList(keys.partitions)) {
    const stream = keys.stream(partition);
    commands.push({ key: stream, command: 'XINFO', args: ['GROUPS', stream] }, { key: stream, command: 'XLEN', args: [stream] });
  }
  for (const partition of partitionList(keys.partitions))
    commands.push({ key: keys.lease(partition), command: 'GET', args: [keys.lease(partition)] });
  for (const { key } of keys.deadLetterStreams) commands.push({ key, command: 'XLEN', args: [key] });
  const results = await execBySlot(redis, commands);
  const holders = results.slice(keys.partitions * 2, keys.partitions * 3).map(([, holder]) => (holder as string | null) ?? null);
  const partitions = partitionList(keys.partitions).map((partition): PartitionQueueState => {
    const [infoError, info] = results[partition * 2] ?? [];
    const length = Number(results[partition * 2 + 1]?.[1] ?? 0);
    const holder = holders[partition] ?? null;
    const persisting = leaseHolderMode(holder) === 'write';
    const group = infoError ? undefined : ((info as unknown[]) ?? []).map(flatToObject).find((g) => g.name === PERSISTENCE_GROUP);
    if (!group) return { partition, lag: length, lagEstimated: true, pending: 0, length, holder, persisting };
    const lag = group.lag === null || group.lag === undefined ? null : Number(group.lag);
    return { partition, lag: lag ?? length, lagEstimated: lag === null, pending: Number(group.pending ?? 0), length, holder, persisting };
  });
  const deadLetters = results.slice(keys.partitions * 3).reduce((total, [, length]) => total + Number(length ?? 0), 0);
  const sum = (list: PartitionQueueState[], pick: (p: PartitionQueueState) => number) => list.reduce((total, p) => total + pick(p), 0);
  return {
    partitions,
    deadLetters,
    maxLag: Math.max(0, ...partitions.filter((p) => p.persisting).map((p) => p.lag)),
    unownedLag: sum(
      partitions.filter((p) => !p.persisting),
      (p) => p.lag,
    ),
    totalLag: sum(partitions, (p) => p.lag),
    totalPending: sum(partitions, (p) => p.pending),
    holders: {
      write: partitions.filter((p) => p.persisting).length,
      shadow: partitions.filter((p) => leaseHolderMode(p.holder) === 'shadow').length,
      none: partitions.filter((p) => p.holder === null).length,
    },
  };
}

/** Samples the queue state into the lag, pending and DLQ gauges every `intervalMs`; returns a stop function. */
export function startLagSampler(
  redis: RedisClient,
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
