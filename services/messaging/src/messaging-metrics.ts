import type { ServiceMetrics } from '@cutover/service-kit';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** End-to-end buckets (seconds): fine below the guide's 100 ms p95, coarse up to a minute of backlog. */
export const DELIVERY_LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Consumer outcomes, the `status` label of `stream_consumer_processed_total`. */
export type ProcessedStatus = 'persisted' | 'duplicate' | 'superseded' | 'shadow' | 'error';

/**
 * The service's own series, named as in the deployment guide. Both processes register all of them
 * (the api increments the ingress ones, the consumer the others), so dashboards and alerts find
 * every name on any instance.
 */
export interface MessagingMetrics {
  /** Entries added to partition streams by the ingress. */
  enqueued: Counter<'partition'>;
  /** Entries handled by consumers, by outcome. */
  processed: Counter<'status'>;
  /** Requests answered from an existing record: `ingress` (same clientMessageId) or `receipt`. */
  idempotencyHits: Counter<'operation'>;
  /** Same clientMessageId, different payload (answered 422). */
  idempotencyConflicts: Counter<'operation'>;
  /** Entries of the persistence group not yet delivered to any consumer (XINFO GROUPS lag). */
  partitionLag: Gauge<'partition'>;
  /** Entries delivered but not acknowledged (the group's PEL). */
  partitionPending: Gauge<'partition'>;
  /** Entries moved to the dead-letter stream. */
  deadLettered: Counter<'partition'>;
  /** Dead letters put back on their partition. */
  deadLettersReplayed: Counter;
  /** Length of the dead-letter stream. */
  deadLetterQueueLength: Gauge;
  /** Pending entries found deleted from the stream (trimmed or XDELed before they were acknowledged). */
  deletedPending: Counter<'partition'>;
  /** Entries taken over by the reclaimer after being idle too long. */
  reclaimed: Counter<'partition'>;
  /** Entries removed by trimming. */
  trimmed: Counter<'partition'>;
  /** Time to handle one batch, from read to acknowledgement. */
  processingDuration: Histogram<'mode'>;
  /** From the ingress accepting a message to its commit by a consumer. */
  deliveryLatency: Histogram;
  /** Messages claimed per ingress flush (one INSERT and one XADD pipeline each). */
  ingressBatchSize: Histogram;
  /** Partitions this consumer process owns. */
  partitionsOwned: Gauge;
}

export function createMessagingMetrics(metrics: ServiceMetrics): MessagingMetrics {
  return {
    enqueued: metrics.counter('stream_enqueue_total', 'Messages added to a partition stream by the ingress', ['partition']),
    processed: metrics.counter('stream_consumer_processed_total', 'Stream entries handled by consumers, by outcome', ['status']),
    idempotencyHits: metrics.counter('idempotency_hit_total', 'Requests answered from an existing record', ['operation']),
    idempotencyConflicts: metrics.counter('idempotency_conflict_total', 'Idempotency keys reused with a different payload', ['operation']),
    partitionLag: metrics.gauge('stream_partition_lag', 'Entries not yet delivered to the persistence group, per partition', ['partition']),
    partitionPending: metrics.gauge('stream_partition_pending', 'Entries delivered but not acknowledged, per partition', ['partition']),
    deadLettered: metrics.counter('stream_dead_letter_total', 'Entries moved to the dead-letter stream', ['partition']),
    deadLettersReplayed: metrics.counter('stream_dead_letter_replayed_total', 'Dead letters put back on their partition stream'),
    deadLetterQueueLength: metrics.gauge('stream_dead_letter_queue_length', 'Entries in the dead-letter stream'),
    deletedPending: metrics.counter('stream_deleted_pending_total', 'Pending entries found deleted from their stream before an ack', [
      'partition',
    ]),
    reclaimed: metrics.counter('stream_reclaimed_total', 'Idle pending entries taken over by the reclaimer', ['partition']),
    trimmed: metrics.counter('stream_trimmed_total', 'Entries removed from partition streams by trimming', ['partition']),
    processingDuration: metrics.histogram(
      'stream_processing_duration_seconds',
      'Time to handle one batch of stream entries, read to ack',
      ['mode'],
      DELIVERY_LATENCY_BUCKETS_SECONDS,
    ),
    deliveryLatency: metrics.histogram(
      'message_delivery_latency_seconds',
      'From ingress acceptance to the consumer commit',
      [],
      DELIVERY_LATENCY_BUCKETS_SECONDS,
    ),
    ingressBatchSize: metrics.histogram(
      'ingress_flush_batch_size',
      'Messages claimed per ingress flush',
      [],
      [1, 2, 5, 10, 20, 50, 100, 200],
    ),
    partitionsOwned: metrics.gauge('stream_partitions_owned', 'Partitions owned by this consumer process'),
  };
}
