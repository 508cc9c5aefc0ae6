import { createIdempotencyStore, createJwtVerifier, createService, postgresCheck, type Service } from '@cutover/service-kit';
import type { JSONWebKeySet } from 'jose';
import pg from 'pg';
import { registerPaymentRoutes } from './payment-routes.ts';
import { createPaymentStore } from './payment-store.ts';
import type { PaymentsConfig } from './payments-config.ts';

export const PAYMENTS_SERVICE_NAME = 'payment-payments';
export const PAYMENTS_SERVICE_VERSION = '1.0.0';

export interface PaymentsServiceOptions {
  /** Where log lines go; default stdout. */
  logDestination?: { write(chunk: string): unknown };
  /** Handle SIGTERM/SIGINT; default true (tests running several services in one process pass false). */
  handleSignals?: boolean;
  /** Verify with this key set instead of fetching AUTH_JWKS_URL (tests). */
  jwks?: JSONWebKeySet;
}

/**
 * The payments service, ready to `start()`: PostgreSQL for payments and idempotency keys (shared
 * by every instance, so a retry may land anywhere), bearer tokens of the auth service verified
 * against its JWKS (iss, aud, exp, typ and the key id checked). Readiness checks PostgreSQL.
 */
export function buildPaymentsService(config: PaymentsConfig, options: PaymentsServiceOptions = {}): Service {
  const pool = new pg.Pool({
    connectionString: config.PAYMENTS_DATABASE_URL,
    max: config.PG_POOL_MAX,
    application_name: PAYMENTS_SERVICE_NAME,
  });
  const service = createService({
    name: PAYMENTS_SERVICE_NAME,
    version: PAYMENTS_SERVICE_VERSION,
    releaseId: config.CUTOVER_RELEASE,
    logLevel: config.LOG_LEVEL,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    readinessChecks: [postgresCheck(pool)],
    shutdown: {
      gracePeriodMs: config.SHUTDOWN_GRACE_PERIOD_MS,
      delayMs: config.SHUTDOWN_DELAY_MS,
      handleSignals: options.handleSignals ?? true,
    },
    trustProxy: 'loopback',
    bodyLimitBytes: 16 * 1024,
    idempotency: { store: createIdempotencyStore({ pool }) },
    onClose: [() => pool.end()],
  });
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  const verifier = createJwtVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ...(options.jwks ? { jwks: options.jwks } : { jwksUrl: config.AUTH_JWKS_URL }),
  });
  registerPaymentRoutes(service.app, {
    store: createPaymentStore(pool),
    verifier,
    created: service.metrics.counter('payments_created_total', 'Payment creations by currency and outcome', ['currency', 'outcome']),
    transitions: service.metrics.counter('payment_transitions_total', 'State machine commands by outcome', ['command', 'outcome']),
  });
  return service;
}
