import {
  createIdempotencyStore,
  createService,
  HEALTH_ROUTES,
  postgresCheck,
  redisCheck,
  type Service,
  sendProblem,
} from '@cutover/service-kit';
import pg from 'pg';
import { createTokenService } from './auth/token-service.ts';
import type { SerializationConfig } from './config/serialization-config.ts';
import { POSTGRES_SESSION_OPTIONS } from './db/session-options.ts';
import { createGenealogyStore } from './genealogy/genealogy-store.ts';
import { registerAuthRoutes } from './http/auth-routes.ts';
import { registerGuideHealthRoutes } from './http/health-routes.ts';
import { registerLabelRoutes } from './http/label-routes.ts';
import { registerLifecycleRoutes } from './http/lifecycle-routes.ts';
import { registerPatternRoutes } from './http/pattern-routes.ts';
import { registerRecordRoutes } from './http/record-routes.ts';
import { API_PREFIX } from './http/route-helpers.ts';
import { registerSerializationMetrics } from './http/serialization-metrics.ts';
import { registerVendorRoutes } from './http/vendor-routes.ts';
import { createPatternStore } from './patterns/pattern-store.ts';
import { createPlaceholderStore } from './placeholders/placeholder-store.ts';
import { createRedis } from './redis/create-redis.ts';
import { createTriggerStore } from './triggers/trigger-store.ts';
import { createUniquenessCache } from './uniqueness/uniqueness-cache.ts';
import { createUniquenessStore } from './uniqueness/uniqueness-store.ts';
import { createVendorSerialStore } from './vendor/vendor-serial-store.ts';

export const SERIALIZATION_SERVICE_NAME = 'serialization';
export const SERIALIZATION_SERVICE_VERSION = '1.0.0';
/** Month partitions of audit_events kept ready ahead of time at every start. */
export const AUDIT_PARTITIONS_AHEAD = 2;

export interface SerializationServiceOptions {
  /** Where log lines go; default stdout. */
  logDestination?: { write(chunk: string): unknown };
  /** Handle SIGTERM/SIGINT; default true. */
  handleSignals?: boolean;
  /** Prefix of this service's Redis keys; default REDIS_KEY_PREFIX. */
  redisKeyPrefix?: string;
}

/**
 * The serialization service, ready to `start()`: PostgreSQL (the authority for every serial,
 * counter, link and audit event) and Redis (the uniqueness cache), HS256 tokens with JWT_SECRET,
 * the guide's /health and /api/v1/health/db, /metrics with the pool gauges its alerts read.
 */
export function buildSerializationService(
  config: SerializationConfig,
  options: SerializationServiceOptions = {},
): Service & { pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_SIZE,
    idleTimeoutMillis: config.DB_IDLE_TIMEOUT,
    application_name: SERIALIZATION_SERVICE_NAME,
    options: POSTGRES_SESSION_OPTIONS,
  });
  const redis = createRedis({ url: config.REDIS_URL, db: config.REDIS_DB, password: config.REDIS_PASSWORD });
  const { '/health': _guideOwnsIt, ...kitHealthRoutes } = HEALTH_ROUTES;
  const service = createService({
    name: SERIALIZATION_SERVICE_NAME,
    version: SERIALIZATION_SERVICE_VERSION,
    releaseId: config.CUTOVER_RELEASE,
    logLevel: config.LOG_LEVEL,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    readinessChecks: [postgresCheck(pool), redisCheck(redis)],
    healthRoutes: kitHealthRoutes,
    shutdown: {
      gracePeriodMs: config.SHUTDOWN_GRACE_PERIOD_MS,
      delayMs: config.SHUTDOWN_DELAY_MS,
      handleSignals: options.handleSignals ?? true,
    },
    trustProxy: 'loopback',
    bodyLimitBytes: 64 * 1024,
    idempotency: { store: createIdempotencyStore({ pool }) },
    onClose: [() => pool.end(), () => void redis.disconnect()],
  });
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  redis.on('error', (error) => service.logger.debug({ err: error.message }, 'redis error'));
  const metrics = registerSerializationMetrics(service.metrics, pool, config.DB_POOL_SIZE);
  const app = service.app;

  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500) {
      metrics.httpErrors.inc({
        method: request.method,
        route: request.routeOptions.url ?? '<unmatched>',
        status_code: String(reply.statusCode),
      });
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && config.CORS_ORIGINS.includes(origin)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'origin');
      if (request.method === 'OPTIONS') {
        return reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST, DELETE')
          .header('access-control-allow-headers', 'authorization, content-type, idempotency-key')
          .send();
      }
    }
    if (!config.PROMETHEUS_ENABLED && request.url.startsWith('/metrics'))
      return sendProblem(reply, 404, 'metrics are off (PROMETHEUS_ENABLED=false)');
    // The guide's feature rollback: a release with SERIALIZATION_ENABLED=false keeps health and metrics but refuses the API.
    if (!config.SERIALIZATION_ENABLED && request.url.startsWith(API_PREFIX)) {
      return sendProblem(
        reply.header('retry-after', '60'),
        503,
        'serialization is switched off in this release (SERIALIZATION_ENABLED=false)',
      );
    }
  });

  const tokens = createTokenService(config.JWT_SECRET, config.JWT_EXPIRATION);
  const cache = createUniquenessCache(redis, {
    ttlSeconds: config.SERIAL_UNIQUENESS_CACHE_TTL,
    keyPrefix: options.redisKeyPrefix ?? config.REDIS_KEY_PREFIX,
  });
  const common = {
    verifier: tokens.verifier,
    metrics,
    defaultScope: config.SERIAL_DEFAULT_SCOPE,
    batchSize: config.SERIAL_BATCH_SIZE,
    auditBatchSize: config.AUDIT_BATCH_WRITE_SIZE,
  };
  registerGuideHealthRoutes(app, { pool, redis, poolMax: config.DB_POOL_SIZE, isServing: () => service.lifecycle.state === 'ready' });
  registerAuthRoutes(app, { pool, tokens });
  registerVendorRoutes(app, { ...common, vendor: createVendorSerialStore(pool), cache });
  registerPatternRoutes(app, { ...common, pool, patterns: createPatternStore(pool), maxCount: config.SERIAL_MAX_GENERATE_COUNT });
  registerLifecycleRoutes(app, {
    ...common,
    placeholders: createPlaceholderStore(pool),
    triggers: createTriggerStore(pool, {
      scope: config.SERIAL_DEFAULT_SCOPE,
      batchSize: config.SERIAL_BATCH_SIZE,
      auditBatchSize: config.AUDIT_BATCH_WRITE_SIZE,
      maxCount: config.SERIAL_MAX_GENERATE_COUNT,
    }),
    genealogy: createGenealogyStore(pool, {
      depthLimit: config.SERIAL_PROPAGATION_DEPTH_LIMIT,
      cacheNodes: config.SERIAL_GENEALOGY_CACHE_NODES,
    }),
  });
  registerRecordRoutes(app, { ...common, pool, uniqueness: createUniquenessStore(pool, cache) });
  registerLabelRoutes(app, { ...common, pool });

  const start = service.start.bind(service);
  return Object.assign(service, {
    pool,
    async start(listen?: Parameters<Service['start']>[0]) {
      // Next months' audit partitions exist before anyone writes into them (a task also runs it daily).
      await pool.query('SELECT audit_ensure_partitions($1)', [AUDIT_PARTITIONS_AHEAD]);
      return start(listen);
    },
  });
}
