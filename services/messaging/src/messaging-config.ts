import { envBool, envHostPorts, envInt, envUrl, SERVICE_ENV_SHAPE } from '@cutover/service-kit';
import { z } from 'zod';

/** Partition streams `msg:stream:0..N-1`; fixed at design time (changing it moves conversations). */
export const DEFAULT_STREAM_PARTITIONS = 16;
/** Deliveries of one entry before it moves to the dead-letter stream. */
export const DEFAULT_STREAM_MAX_RETRIES = 3;
/** Longest a partition worker blocks waiting for new entries before it looks at its other duties. */
export const DEFAULT_STREAM_POLL_INTERVAL_MS = 5_000;
/** Entries read (and persisted in one statement) per batch. */
export const DEFAULT_STREAM_BATCH_SIZE = 10;
/** statement_timeout of a persist batch: the handler's time limit. */
export const DEFAULT_STREAM_HANDLER_TIMEOUT_MS = 10_000;
/** Entries pending longer than this are retried by the reclaimer; must exceed the handler limit. */
export const DEFAULT_STREAM_CLAIM_MIN_IDLE_MS = 30_000;
export const DEFAULT_STREAM_RECLAIM_INTERVAL_MS = 5_000;
export const DEFAULT_STREAM_TRIM_INTERVAL_MS = 10_000;
/** A partition lease lives this long unless renewed (renewed every third of it). */
export const DEFAULT_STREAM_LEASE_MS = 15_000;
export const DEFAULT_STREAM_LAG_SAMPLE_INTERVAL_MS = 5_000;
/**
 * Longest a consumer holds a partition's batch for other partitions' batches to join it in one
 * persist statement (0: each batch alone), and the most messages such a joined statement holds.
 */
export const DEFAULT_STREAM_PERSIST_WINDOW_MS = 10;
export const DEFAULT_STREAM_PERSIST_MAX_BATCH = 200;
/** Most messages claimed and enqueued by one ingress flush (one INSERT, one XADD pipeline). */
export const DEFAULT_INGRESS_MAX_BATCH = 200;
/** Ingress flushes running at once; requests arriving meanwhile wait and form the next batch. */
export const DEFAULT_INGRESS_FLUSH_CONCURRENCY = 4;

/** `write` persists messages; `shadow` reads them on a separate group and writes nothing. */
export const CONSUMER_MODES = ['write', 'shadow'] as const;
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

/** Both processes (api and consumer) read this environment; each ignores what it does not use. */
export const messagingEnvSchema = z
  .object({
    ...SERVICE_ENV_SHAPE,
    DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
    PG_POOL_MAX: envInt({ min: 1, max: 200, default: 10 }),
    /** Takes precedence over REDIS_HOST/REDIS_PORT/REDIS_PASSWORD/REDIS_STREAM_DB. */
    REDIS_URL: envUrl(['redis:', 'rediss:']).optional(),
    REDIS_HOST: z.string().min(1).default('127.0.0.1'),
    REDIS_PORT: envInt({ min: 1, max: 65_535, default: 6379 }),
    REDIS_PASSWORD: z.string().optional(),
    REDIS_STREAM_DB: envInt({ min: 0, max: 15, default: 0 }),
    /** A Redis Cluster instead of one Redis: REDIS_URL and REDIS_HOST/PORT/STREAM_DB are then ignored. */
    REDIS_CLUSTER_ENABLED: envBool({ default: false }),
    /** The cluster's seed nodes, comma-separated host:port, e.g. "node1:6379,node2:6379,node3:6379". */
    REDIS_CLUSTER_NODES: envHostPorts(),
    /**
     * Prepended to every Redis key (`<prefix>msg:stream:3`, on a cluster `<prefix>{msg:3}:stream`);
     * default empty. Tests use one per test.
     */
    STREAM_KEY_PREFIX: z.string().default(''),
    STREAM_PARTITIONS: envInt({ min: 1, max: 1024, default: DEFAULT_STREAM_PARTITIONS }),
    STREAM_MAX_RETRIES: envInt({ min: 1, max: 100, default: DEFAULT_STREAM_MAX_RETRIES }),
    STREAM_POLL_INTERVAL_MS: envInt({ min: 10, max: 60_000, default: DEFAULT_STREAM_POLL_INTERVAL_MS }),
    STREAM_BATCH_SIZE: envInt({ min: 1, max: 1_000, default: DEFAULT_STREAM_BATCH_SIZE }),
    STREAM_PERSIST_WINDOW_MS: envInt({ min: 0, max: 1_000, default: DEFAULT_STREAM_PERSIST_WINDOW_MS }),
    STREAM_PERSIST_MAX_BATCH: envInt({ min: 1, max: 5_000, default: DEFAULT_STREAM_PERSIST_MAX_BATCH }),
    ENABLE_STREAM_CONSUMERS: envBool({ default: true }),
    STREAM_CONSUMER_MODE: z.enum(CONSUMER_MODES).default('write'),
    STREAM_HANDLER_TIMEOUT_MS: envInt({ min: 100, default: DEFAULT_STREAM_HANDLER_TIMEOUT_MS }),
    STREAM_CLAIM_MIN_IDLE_MS: envInt({ min: 100, default: DEFAULT_STREAM_CLAIM_MIN_IDLE_MS }),
    STREAM_RECLAIM_INTERVAL_MS: envInt({ min: 50, default: DEFAULT_STREAM_RECLAIM_INTERVAL_MS }),
    STREAM_TRIM_INTERVAL_MS: envInt({ min: 50, default: DEFAULT_STREAM_TRIM_INTERVAL_MS }),
    STREAM_LEASE_MS: envInt({ min: 300, default: DEFAULT_STREAM_LEASE_MS }),
    STREAM_LAG_SAMPLE_INTERVAL_MS: envInt({ min: 50, default: DEFAULT_STREAM_LAG_SAMPLE_INTERVAL_MS }),
    INGRESS_MAX_BATCH: envInt({ min: 1, max: 5_000, default: DEFAULT_INGRESS_MAX_BATCH }),
    INGRESS_FLUSH_CONCURRENCY: envInt({ min: 1, max: 64, default: DEFAULT_INGRESS_FLUSH_CONCURRENCY }),
    /** When set, the dead-letter endpoints require `Authorization: Bearer <ADMIN_TOKEN>`. */
    ADMIN_TOKEN: z.string().min(16).optional(),
    /** Set by the cutover agent: the release name (metrics label, health `releaseId`). */
    CUTOVER_RELEASE: z.string().optional(),
    /** Set by the cutover agent: names this consumer in the consumer group. */
    CUTOVER_INSTANCE_ID: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_CLUSTER_ENABLED) {
      if (env.REDIS_CLUSTER_NODES.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['REDIS_CLUSTER_NODES'],
          message: 'must list host:port nodes when REDIS_CLUSTER_ENABLED=true',
        });
      if (/[{}]/.test(env.STREAM_KEY_PREFIX))
        ctx.addIssue({
          code: 'custom',
          path: ['STREAM_KEY_PREFIX'],
          message: 'must not contain { or } with REDIS_CLUSTER_ENABLED=true: the keys carry their own hash tags',
        });
      if (env.REDIS_STREAM_DB !== 0)
        ctx.addIssue({
          code: 'custom',
          path: ['REDIS_STREAM_DB'],
          message: 'must be 0 with REDIS_CLUSTER_ENABLED=true (a cluster has database 0 only)',
        });
    }
    if (env.STREAM_CLAIM_MIN_IDLE_MS <= env.STREAM_HANDLER_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['STREAM_CLAIM_MIN_IDLE_MS'],
        message: `must exceed STREAM_HANDLER_TIMEOUT_MS (${env.STREAM_HANDLER_TIMEOUT_MS}), or a slow batch is processed twice`,
      });
    }
  });

export type MessagingConfig = z.output<typeof messagingEnvSchema>;
