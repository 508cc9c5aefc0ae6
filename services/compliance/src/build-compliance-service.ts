import { cpus } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import {
  createIdempotencyStore,
  createService,
  postgresCheck,
  type ReadinessCheck,
  redisCheck,
  type Service,
  sendProblem,
} from '@cutover/service-kit';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createHs256Verifier } from './auth/hs256-verifier.ts';
import type { ComplianceConfig } from './compliance-config.ts';
import type { ComplianceContext } from './compliance-context.ts';
import { type ComplianceMetrics, registerComplianceMetrics } from './compliance-metrics.ts';
import { registerDocumentRoutes } from './documents/document-routes.ts';
import { createDownstreams } from './downstreams.ts';
import { buildGuideHealth, cpuCheck, memoryCheck } from './health/guide-health.ts';
import { registerPrivacyRoutes } from './privacy/privacy-routes.ts';
import { registerRiskRoutes } from './risk/risk-routes.ts';
import { SanctionsListHolder } from './sanctions/sanctions-list-holder.ts';
import { registerScreeningRoutes } from './sanctions/screening-routes.ts';
import { createScreeningStore } from './sanctions/screening-store.ts';
import { registerTaxRoutes } from './tax/tax-routes.ts';
import { registerVenueRoutes } from './venues/venue-routes.ts';
import { createVenueStore } from './venues/venue-store.ts';
import { registerInboundWebhookRoutes } from './webhooks/inbound-webhook-routes.ts';
import { startWebhookDispatcher } from './webhooks/webhook-dispatcher.ts';
import { registerWebhookEndpointRoutes } from './webhooks/webhook-endpoint-routes.ts';
import { createWebhookOutbox } from './webhooks/webhook-outbox.ts';

export const COMPLIANCE_SERVICE_NAME = 'compliance';
export const COMPLIANCE_SERVICE_VERSION = '1.0.0';

export interface BuildOptions {
  logDestination?: { write(chunk: string): unknown };
  handleSignals?: boolean;
}

export interface ComplianceService {
  service: Service;
  context: ComplianceContext;
  metrics: ComplianceMetrics;
}

/**
 * The compliance service on the kit: venue verification, documents, sanctions screening, tax
 * tracking, risk, privacy requests and webhooks, with the guide's health body, metrics and flags.
 */
export async function buildComplianceService(config: ComplianceConfig, options: BuildOptions = {}): Promise<ComplianceService> {
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.PG_POOL_MAX, application_name: 'compliance' });
  const redis = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    keyPrefix: config.REDIS_KEY_PREFIX,
  });
  let countDatabaseErrors = () => {};
  // The guide's "database connection failures" alert counts what this check sees fail.
  const database: ReadinessCheck = {
    ...postgresCheck(pool),
    async check() {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        countDatabaseErrors();
        throw error;
      }
    },
  };
  const version = config.CUTOVER_RELEASE ? `${COMPLIANCE_SERVICE_VERSION}+${config.CUTOVER_RELEASE}` : COMPLIANCE_SERVICE_VERSION;
  const service = createService({
    name: COMPLIANCE_SERVICE_NAME,
    version,
    releaseId: config.CUTOVER_RELEASE,
    logLevel: config.LOG_LEVEL,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    readinessChecks: [database, redisCheck(redis), memoryCheck(getHeapStatistics().heap_size_limit), cpuCheck(cpus().length)],
    shutdown: {
      gracePeriodMs: config.SHUTDOWN_GRACE_PERIOD_MS,
      delayMs: config.SHUTDOWN_DELAY_MS,
      handleSignals: options.handleSignals ?? true,
    },
    ...(config.LOAD_SHEDDING
      ? { shedding: { maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS, maxHeapUsedBytes: config.SHED_MAX_HEAP_USED_BYTES } }
      : {}),
    idempotency: { store: createIdempotencyStore({ pool }) },
    trustProxy: 'loopback',
    onClose: [() => pool.end(), () => redis.quit().then(() => undefined)],
  });
  service.metrics.registry.setDefaultLabels({
    service: COMPLIANCE_SERVICE_NAME,
    ...(config.CUTOVER_RELEASE ? { release: config.CUTOVER_RELEASE } : {}),
  });
  const metrics = registerComplianceMetrics(service, pool, config.PG_POOL_MAX);
  pool.on('error', (error) => {
    metrics.databaseConnectionErrors.inc();
    service.logger.warn({ err: error }, 'idle PostgreSQL client failed');
  });
  countDatabaseErrors = () => metrics.databaseConnectionErrors.inc();
  redis.on('error', (error) => {
    metrics.redisConnectionErrors.inc();
    service.logger.warn({ err: error }, 'Redis connection error');
  });

  // METRICS_ENDPOINT off: /metrics is not served at all.
  if (!config.METRICS_ENDPOINT) {
    service.app.addHook('onRequest', async (request, reply) => {
      if (request.url === '/metrics' || request.url.startsWith('/metrics?'))
        return sendProblem(reply, 404, 'the metrics endpoint is disabled (METRICS_ENDPOINT=false)');
    });
  }
  // The guide's readiness body replaces the kit's health+json on /health/ready (the other probes keep it).
  const startedAt = performance.now();
  service.app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || (request.url !== '/health/ready' && !request.url.startsWith('/health/ready?'))) return;
    const ready = service.lifecycle.state === 'ready';
    const health = buildGuideHealth({
      ready,
      readings: ready ? await service.readiness.read() : [],
      version,
      uptimeSeconds: (performance.now() - startedAt) / 1000,
      detailed: config.DETAILED_HEALTH_CHECKS,
      now: new Date(),
    });
    return reply.code(health.statusCode).header('cache-control', 'no-store').send(health.body);
  });
  if (config.DEBUG_EXTRA_LATENCY_MS > 0) {
    service.app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/health') && request.url !== '/metrics')
        await new Promise((resolve) => setTimeout(resolve, config.DEBUG_EXTRA_LATENCY_MS));
    });
  }

  const sanctions = new SanctionsListHolder(
    config.SANCTIONS_SDN_FILE
      ? { sdnFile: config.SANCTIONS_SDN_FILE, ...(config.SANCTIONS_ALT_FILE ? { altFile: config.SANCTIONS_ALT_FILE } : {}) }
      : null,
  );
  const context: ComplianceContext = {
    config,
    service,
    pool,
    verifier: createHs256Verifier({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
    venues: createVenueStore(pool),
    screenings: createScreeningStore(pool, sanctions, (ms) => metrics.screeningDurationSeconds.observe(ms / 1000)),
    sanctions,
    events: createWebhookOutbox(pool),
    downstreams: createDownstreams(service, config.BULKHEAD_PATTERN),
  };
  try {
    await redis.connect();
    if (config.SANCTIONS_SDN_FILE) {
      const loaded = await sanctions.refresh();
      if (loaded.ok) service.logger.info({ list: loaded.list.identity }, 'sanctions list loaded');
      else service.logger.error({ error: loaded.error, detail: loaded.detail }, 'sanctions list not loaded: screenings wait for a refresh');
    }
  } catch (error) {
    await service.stop('start-up failed').catch(() => undefined);
    throw error;
  }
  registerVenueRoutes(context);
  registerScreeningRoutes(context);
  registerDocumentRoutes(context);
  registerTaxRoutes(context);
  registerRiskRoutes(context);
  registerPrivacyRoutes(context);
  registerWebhookEndpointRoutes(context);
  registerInboundWebhookRoutes(context, redis);
  service.onClose(startWebhookDispatcher(context));
  return { service, context, metrics };
}
