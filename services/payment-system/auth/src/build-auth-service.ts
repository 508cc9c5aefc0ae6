import { createJwtSigner, createService, postgresCheck, redisCheck, registerJwksRoute, type Service } from '@cutover/service-kit';
import { Redis } from 'ioredis';
import type { JWK } from 'jose';
import pg from 'pg';
import { type AuthConfig, DEFAULT_PASSWORD_HASH_TIMEOUT_MS } from './auth-config.ts';
import { registerAuthRoutes } from './auth-routes.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { createPasswordHasher } from './password-hasher.ts';
import { createUserStore } from './user-store.ts';

export const AUTH_SERVICE_NAME = 'payment-auth';
export const AUTH_SERVICE_VERSION = '1.0.0';

export interface AuthServiceOptions {
  /** Private signing keys, newest first (main.ts reads them from AUTH_SIGNING_KEYS_FILE). */
  signingKeys: readonly JWK[];
  /** Where log lines go; default stdout. */
  logDestination?: { write(chunk: string): unknown };
  /** Handle SIGTERM/SIGINT; default true (tests running several services in one process pass false). */
  handleSignals?: boolean;
}

/**
 * The auth service, ready to `start()`: PostgreSQL for accounts, Redis for login throttling,
 * JWT signing with the given keys and their JWKS at /.well-known/jwks.json. Readiness checks both
 * stores; closing the service closes both connections.
 */
export async function buildAuthService(config: AuthConfig, options: AuthServiceOptions): Promise<Service> {
  const signer = await createJwtSigner({
    issuer: config.JWT_ISSUER,
    keys: options.signingKeys,
    defaultTtlSec: config.ACCESS_TOKEN_TTL_SEC,
  });
  const hasher = createPasswordHasher({ log2N: config.SCRYPT_LOG2_N });
  const dummyHash = await hasher.dummyHash();
  const pool = new pg.Pool({ connectionString: config.AUTH_DATABASE_URL, max: config.PG_POOL_MAX, application_name: AUTH_SERVICE_NAME });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 });
  const service = createService({
    name: AUTH_SERVICE_NAME,
    version: AUTH_SERVICE_VERSION,
    releaseId: config.CUTOVER_RELEASE,
    logLevel: config.LOG_LEVEL,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    readinessChecks: [postgresCheck(pool), redisCheck(redis)],
    shutdown: {
      gracePeriodMs: config.SHUTDOWN_GRACE_PERIOD_MS,
      delayMs: config.SHUTDOWN_DELAY_MS,
      handleSignals: options.handleSignals ?? true,
    },
    // The cutover proxy on loopback appends the client address to X-Forwarded-For: per-IP throttling needs it.
    trustProxy: 'loopback',
    bodyLimitBytes: 16 * 1024,
    onClose: [() => pool.end(), () => redis.quit().then(() => undefined)],
  });
  // An idle client that loses its connection (database restart) must not crash the process.
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  redis.on('error', (error) => service.logger.warn({ err: error }, 'Redis connection error'));

  registerJwksRoute(service.app, signer);
  registerAuthRoutes(service.app, {
    users: createUserStore(pool),
    hasher,
    dummyHash,
    throttle: createLoginThrottle({
      redis,
      keyPrefix: config.THROTTLE_KEY_PREFIX,
      account: { maxAttempts: config.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, windowMs: config.LOGIN_WINDOW_MS, lockoutMs: config.LOGIN_LOCKOUT_MS },
      ip: { maxAttempts: config.LOGIN_MAX_ATTEMPTS_PER_IP, windowMs: config.LOGIN_WINDOW_MS, lockoutMs: config.LOGIN_LOCKOUT_MS },
    }),
    signer,
    audience: config.JWT_AUDIENCE,
    tokenTtlSec: config.ACCESS_TOKEN_TTL_SEC,
    hashing: service.bulkhead({
      name: 'password-hash',
      maxConcurrent: config.PASSWORD_HASH_CONCURRENCY,
      maxQueue: config.PASSWORD_HASH_QUEUE,
      timeoutMs: DEFAULT_PASSWORD_HASH_TIMEOUT_MS,
    }),
    logins: service.metrics.counter('auth_logins_total', 'Login attempts by outcome', ['outcome']),
    registrations: service.metrics.counter('auth_registrations_total', 'Registrations by outcome', ['outcome']),
  });
  return service;
}
