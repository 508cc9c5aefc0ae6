import type { ServiceMetrics } from '@cutover/service-kit';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** Seconds: minting and writing 1-100 cards (sync) up to a 100,000-card chunk (bulk). */
const GENERATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface CardMetrics {
  cardsGenerated: Counter<'network' | 'path'>;
  generationDuration: Histogram<'path'>;
  counterBlocks: Counter<'bin'>;
  uniquenessViolations: Counter<'constraint'>;
  writeRetries: Counter<'path'>;
  binCapacity: Gauge<'bin' | 'network'>;
  binReserved: Gauge<'bin' | 'network'>;
  cacheRequests: Counter<'cache' | 'tier' | 'outcome'>;
  bulkJobs: Counter<'outcome'>;
  bulkChunks: Counter<'outcome'>;
  bulkChunkDuration: Histogram<never>;
  queueJobs: Gauge<'state'>;
  websocketConnections: Gauge<never>;
}

export function createCardMetrics(metrics: ServiceMetrics): CardMetrics {
  return {
    cardsGenerated: metrics.counter('cards_generated_total', 'Cards written, by network and path (sync API or bulk job)', [
      'network',
      'path',
    ]),
    generationDuration: metrics.histogram(
      'card_generation_duration_seconds',
      'Time to mint and write one request or one bulk chunk',
      ['path'],
      GENERATION_BUCKETS_SECONDS,
    ),
    counterBlocks: metrics.counter('card_number_blocks_reserved_total', 'Counter blocks reserved from card_bins (hi/lo)', ['bin']),
    uniquenessViolations: metrics.counter(
      'card_uniqueness_violations_total',
      'UNIQUE violations on cards (pan_hash or bin+counter): a bug in the construction, never expected',
      ['constraint'],
    ),
    writeRetries: metrics.counter('card_write_retries_total', 'Card writes retried after a transient database error', ['path']),
    binCapacity: metrics.gauge('card_bin_capacity', 'Cards a BIN can hold: 10^(account digits)', ['bin', 'network']),
    binReserved: metrics.gauge('card_bin_reserved', 'Counters of a BIN handed out (next_counter)', ['bin', 'network']),
    cacheRequests: metrics.counter('cache_requests_total', 'Two-tier cache lookups by cache, tier and outcome', [
      'cache',
      'tier',
      'outcome',
    ]),
    bulkJobs: metrics.counter('bulk_jobs_total', 'Bulk jobs by outcome (accepted, completed, cancelled, failed)', ['outcome']),
    bulkChunks: metrics.counter('bulk_chunks_total', 'Bulk chunks by outcome (written, duplicate, cancelled, failed)', ['outcome']),
    bulkChunkDuration: metrics.histogram('bulk_chunk_duration_seconds', 'Time to mint and COPY one chunk', [], GENERATION_BUCKETS_SECONDS),
    queueJobs: metrics.gauge('bulk_queue_jobs', 'BullMQ jobs of the bulk queue by state', ['state']),
    websocketConnections: metrics.gauge('websocket_connections', 'Open job-progress WebSocket connections'),
  };
}
