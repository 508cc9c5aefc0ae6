export {
  createJwtSigner,
  DEFAULT_ACCESS_TOKEN_TTL_SEC,
  generateSigningKey,
  JWKS_PATH,
  type JwtSigner,
  type JwtSignerOptions,
  publicJwk,
  type SignClaims,
  type SigningAlgorithm,
} from './auth/jwt-signer.ts';
export {
  ACCESS_TOKEN_TYP,
  createJwtVerifier,
  DEFAULT_CLOCK_TOLERANCE_SEC,
  DEFAULT_JWKS_CACHE_MAX_AGE_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_JWKS_TIMEOUT_MS,
  DEFAULT_JWT_ALGORITHMS,
  type JwtFailureReason,
  type JwtVerifier,
  type JwtVerifierOptions,
  type JwtVerifyResult,
} from './auth/jwt-verifier.ts';
export { type Principal, principalFromClaims } from './auth/principal.ts';
export { type RequireAuthOptions, registerJwksRoute, requireAuth } from './auth/require-auth.ts';
export { createMicroBatcher, type MicroBatcher, type MicroBatcherOptions } from './batching/micro-batcher.ts';
export {
  type Bulkhead,
  type BulkheadOptions,
  type BulkheadRejectionReason,
  type BulkheadResult,
  createBulkhead,
} from './bulkhead/bulkhead.ts';
export { envBool, envHostPorts, envInt, envUrl, SERVICE_ENV_SHAPE } from './config/env-schemas.ts';
export {
  type EnvConfigIssue,
  type EnvConfigResult,
  formatEnvConfigIssues,
  type LoadOrExitOptions,
  loadEnvConfig,
  loadEnvConfigOrExit,
  parseEnvConfig,
} from './config/load-env-config.ts';
export {
  type CreateServiceOptions,
  createService,
  type ListenOptions,
  REQUEST_ID_HEADER,
  type Service,
  type ShutdownOptions,
} from './create-service.ts';
export {
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_SHUTDOWN_GRACE_PERIOD_MS,
  DEFAULT_SHUTDOWN_SIGNALS,
  installSignalHandlers,
  type SignalHandlerOptions,
} from './graceful-shutdown.ts';
export {
  aggregateStatus,
  buildHealthResponse,
  HEALTH_CONTENT_TYPE,
  type HealthBody,
  type HealthCheckEntry,
  type HealthResponse,
  type HealthResponseInput,
  httpStatusFor,
  type ProbeKind,
} from './health/build-health-response.ts';
export { type Pingable, postgresCheck, type Queryable, redisCheck } from './health/dependency-checks.ts';
export { HEALTH_ROUTES, type HealthRoutesOptions, registerHealthRoutes } from './health/health-routes.ts';
export {
  type CheckOutcome,
  type CheckReading,
  DEFAULT_CHECK_TIMEOUT_MS,
  type HealthStatus,
  type ReadinessCheck,
  runReadinessCheck,
} from './health/readiness-check.ts';
export {
  createReadinessProbe,
  DEFAULT_READINESS_CACHE_TTL_MS,
  type ReadinessProbe,
  type ReadinessProbeOptions,
} from './health/readiness-probe.ts';
export { buildProblem, PROBLEM_CONTENT_TYPE, type Problem, sendProblem } from './http/send-problem.ts';
export { createIdempotencyTable, IDEMPOTENCY_MIGRATION_PATH, splitMigration } from './idempotency/create-idempotency-table.ts';
export {
  IDEMPOTENCY_KEY_HEADER,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  type ParsedIdempotencyKey,
  parseIdempotencyKey,
} from './idempotency/idempotency-key-header.ts';
export {
  DEFAULT_REPLAYED_HEADERS,
  IDEMPOTENT_REPLAYED_HEADER,
  type IdempotencyOptions,
  type IdempotentRouteOptions,
  registerIdempotency,
} from './idempotency/idempotency-plugin.ts';
export { DEFAULT_IDEMPOTENCY_PURGE_INTERVAL_MS, startIdempotencyPurger } from './idempotency/idempotency-purger.ts';
export {
  type BeginRequest,
  type BeginResult,
  createIdempotencyStore,
  DEFAULT_IDEMPOTENCY_LOCK_TIMEOUT_MS,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  type IdempotencyStore,
  type IdempotencyStoreOptions,
  type StoredResponse,
} from './idempotency/idempotency-store.ts';
export { canonicalJson, requestFingerprint } from './idempotency/request-fingerprint.ts';
export { type CreateLoggerOptions, createLogger, DEFAULT_LOG_LEVEL, sanitizeLogLine } from './logging/create-logger.ts';
export { isLuhnValid } from './logging/luhn.ts';
export {
  isSensitiveKey,
  REDACTED,
  REDACTED_JWT,
  REDACTED_PAN,
  redactSensitiveKeys,
  SENSITIVE_KEY_FRAGMENTS,
  SENSITIVE_KEYS,
  scrubText,
} from './logging/scrub-sensitive.ts';
export { METRICS_PATH, registerMetricsRoutes } from './metrics/metrics-routes.ts';
export {
  createServiceMetrics,
  HTTP_DURATION_BUCKETS_SECONDS,
  type ServiceMetrics,
  type ServiceMetricsOptions,
  UNMATCHED_ROUTE,
} from './metrics/service-metrics.ts';
export { postgresSessionOptions } from './postgres/session-options.ts';
export { processCpuSeconds } from './process-cpu.ts';
export {
  isServiceKitError,
  SERVICE_KIT_ERRORS,
  ServiceKitError,
  type ServiceKitErrorCode,
  type ServiceKitErrorOptions,
} from './service-kit-error.ts';
export { type LifecycleEvents, type LifecycleState, ServiceLifecycle } from './service-lifecycle.ts';
export {
  createLoadShedder,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_SAMPLE_INTERVAL_MS,
  type LoadShedder,
  type LoadShedderOptions,
  type Pressure,
  type PressureReadings,
  type PressureReason,
} from './shedding/load-shedder.ts';
export { registerSheddingHook } from './shedding/shedding-hook.ts';
