/** The consumer group that persists messages (created at id 0 with MKSTREAM by every process at start). */
export const PERSISTENCE_GROUP = 'persistence-workers';
/** The group shadow-mode consumers read on: a dry run that never holds back the real group or trimming. */
export const SHADOW_GROUP = 'persistence-shadow';
/** The dead-letter stream's group, for whoever processes dead letters. */
export const DLQ_GROUP = 'dlq-processors';

/** Every Redis key the service uses, under one prefix. */
export interface StreamKeys {
  readonly prefix: string;
  readonly partitions: number;
  /** `<prefix>msg:stream:<partition>`. */
  stream(partition: number): string;
  /** `<prefix>msg:dlq`. */
  readonly dlq: string;
  /** `<prefix>msg:lease:<partition>`: which consumer owns the partition. */
  lease(partition: number): string;
  /** `<prefix>msg:consumers`: sorted set of live consumers, scored by heartbeat expiry (ms). */
  readonly consumers: string;
}

export function buildStreamKeys(prefix: string, partitions: number): StreamKeys {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  return {
    prefix,
    partitions,
    stream: (partition) => `${prefix}msg:stream:${partition}`,
    dlq: `${prefix}msg:dlq`,
    lease: (partition) => `${prefix}msg:lease:${partition}`,
    consumers: `${prefix}msg:consumers`,
  };
}

/** 0..partitions-1, for loops. */
export function partitionList(partitions: number): number[] {
  return Array.from({ length: partitions }, (_, i) => i);
}
