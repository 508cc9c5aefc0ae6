import { envBool, envHostPorts, envInt, envUrl, SERVICE_ENV_SHAPE } from '@cutover/service-kit';
import { z } from 'zod';
import { DEFAULT_SANDBOX_BINS, parseSandboxBins } from './cards/sandbox-bins.ts';

/** Cards minted by one POST /api/v1/cards. */
export const MAX_CARDS_PER_REQUEST = 100;
/** Cards of one bulk job. */
export const MAX_BULK_CARDS = 1_000_000;
/** Counters an api instance reserves from a BIN at a time (hi/lo, the next block ahead at half); a crash leaves at most about 1.5 blocks unused. */
export const DEFAULT_COUNTER_BLOCK_SIZE = 1_000;
/** Counters written by one bulk chunk (one COPY, one transaction). */
export const DEFAULT_BULK_CHUNK_SIZE = 10_000;

/** Both processes (api and worker) read this environment; each ignores what it does not use. */
export const cardEnvSchema = z
  .object({
    ...SERVICE_ENV_SHAPE,
    DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
    PG_POOL_MAX: envInt({ min: 1, max: 200, default: 10 }),
    /** Single Redis (ignored when REDIS_CLUSTER_ENABLED). */
    REDIS_URL: envUrl(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
    REDIS_CLUSTER_ENABLED: envBool({ default: false }),
    /** Comma-separated host:port list, e.g. "node1:6379,node2:6379,node3:6379". */
    REDIS_CLUSTER_NODES: envHostPorts(),
    /** Prepended to every Redis key and channel; tests use one per test. Default empty. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits and : _ - only')
      .default(''),
    /** 32 bytes as 64 hex digits: FF1, AES-256-GCM and HMAC keys are derived from it (HKDF-SHA256). */
    CARD_MASTER_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (32 bytes): scripts/make-secrets.sh writes one'),
    /** network:bin[:panLength], comma-separated (see cards/sandbox-bins.ts). */
    SANDBOX_BINS: z
      .string()
      .default(DEFAULT_SANDBOX_BINS)
      .transform((value, ctx) => {
        const parsed = parseSandboxBins(value);
        if (!parsed.ok) {
          for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
          return z.NEVER;
        }
        return parsed.bins;
      }),
    CARD_COUNTER_BLOCK_SIZE: envInt({ min: 1, max: 1_000_000, default: DEFAULT_COUNTER_BLOCK_SIZE }),
    BULK_CHUNK_SIZE: envInt({ min: 10, max: 100_000, default: DEFAULT_BULK_CHUNK_SIZE }),
    /** The guide's Bull settings: chunks processed at once per worker, tries per chunk, time limit per chunk. */
    BULL_QUEUE_CONCURRENCY: envInt({ min: 1, max: 64, default: 4 }),
    BULL_QUEUE_DEFAULT_ATTEMPTS: envInt({ min: 1, max: 100, default: 3 }),
    BULL_QUEUE_DEFAULT_TIMEOUT: envInt({ min: 100, max: 3_600_000, default: 30_000 }),
    /** BullMQ lock of an active chunk; a worker killed mid-chunk releases it this long after its last renewal. */
    BULL_QUEUE_LOCK_DURATION_MS: envInt({ min: 1_000, max: 600_000, default: 30_000 }),
    BULL_QUEUE_STALLED_INTERVAL_MS: envInt({ min: 500, max: 600_000, default: 30_000 }),
    /** How often a worker re-enqueues chunks of unfinished jobs that are missing from Redis. */
    BULK_SWEEP_INTERVAL_MS: envInt({ min: 500, max: 3_600_000, default: 60_000 }),
    /** The guide's multi-tier cache: in-process LRU entries and their TTL; then Redis with its own TTL. */
    MULTI_TIER_CACHE_LOCAL_SIZE: envInt({ min: 0, max: 10_000_000, default: 10_000 }),
    MULTI_TIER_CACHE_LOCAL_TTL: envInt({ min: 1, max: 86_400_000, default: 3_600_000 }),
    MULTI_TIER_CACHE_REMOTE_TTL_MS: envInt({ min: 1_000, max: 7 * 86_400_000, default: 3_600_000 }),
    /** How long BIN usage figures (cards issued) may be served from the cache. */
    BIN_STATS_TTL_MS: envInt({ min: 100, max: 3_600_000, default: 5_000 }),
    /** Origins allowed to open the progress WebSocket, comma-separated; "*" allows any. */
    WEBSOCKET_CORS_ORIGIN: z
      .string()
      .default('http://localhost:3000')
      .transform((value) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    WEBSOCKET_PING_INTERVAL: envInt({ min: 100, max: 600_000, default: 25_000 }),
    WEBSOCKET_PING_TIMEOUT: envInt({ min: 50, max: 600_000, default: 5_000 }),
    /** Retries of a card write after a transient database error (never after a unique violation), and the first delay. */
    UNIQUENESS_SERVICE_MAX_RETRIES: envInt({ min: 0, max: 100, default: 10 }),
    UNIQUENESS_SERVICE_RETRY_DELAY: envInt({ min: 0, max: 60_000, default: 100 }),
    /** Set by the cutover agent: release name (metrics label, health releaseId) and instance id (worker name). */
    CUTOVER_RELEASE: z.string().optional(),
    CUTOVER_INSTANCE_ID: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_CLUSTER_ENABLED && env.REDIS_CLUSTER_NODES.length === 0)
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'must list host:port nodes when REDIS_CLUSTER_ENABLED=true' });
    if (env.WEBSOCKET_PING_TIMEOUT >= env.WEBSOCKET_PING_INTERVAL)
      ctx.addIssue({
        code: 'custom',
        path: ['WEBSOCKET_PING_TIMEOUT'],
        message: `must be shorter than WEBSOCKET_PING_INTERVAL (${env.WEBSOCKET_PING_INTERVAL})`,
      });
    if (env.BULL_QUEUE_STALLED_INTERVAL_MS > env.BULL_QUEUE_LOCK_DURATION_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['BULL_QUEUE_STALLED_INTERVAL_MS'],
        message: `must not exceed BULL_QUEUE_LOCK_DURATION_MS (${env.BULL_QUEUE_LOCK_DURATION_MS})`,
      });
  });

export type CardConfig = z.output<typeof cardEnvSchema>;
