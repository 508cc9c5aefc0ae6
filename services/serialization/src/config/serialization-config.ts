import { envBool, envInt, envUrl, SERVICE_ENV_SHAPE } from '@cutover/service-kit';
import { z } from 'zod';

/** Scopes a serial can be unique in: everywhere, per part number, or per vendor and part number. */
export const UNIQUENESS_SCOPES = ['global', 'part', 'vendor'] as const;
export type UniquenessScope = (typeof UNIQUENESS_SCOPES)[number];

/** `24h`, `30m`, `3600s` or a number of seconds: a token lifetime. */
const durationSeconds = z
  .string()
  .regex(/^\d+\s*[smhd]?$/, 'must be a duration such as 24h, 30m, 3600s or a number of seconds')
  .transform((value) => {
    const match = /^(\d+)\s*([smhd]?)$/.exec(value) as RegExpExecArray;
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
    return Number(match[1]) * unit;
  })
  .pipe(
    z
      .number()
      .int()
      .min(60, 'must be at least 60 seconds')
      .max(7 * 86_400, 'must be at most 7 days'),
  );

/** Empty means "not used" for the optional integrations of the guide's env file. */
const optionalUrl = (protocols: readonly string[]) => z.union([z.literal(''), envUrl(protocols)]).default('');
const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ error: 'must be a comma-separated list of origins such as https://app.example.com' })));

/**
 * The guide's `.env.production`, validated at start: a bad value stops the service before it
 * listens, with every problem named (never the value: some are secrets). APP_PORT is the port the
 * cutover agent gives each instance.
 */
export const serializationEnvSchema = z
  .object({
    ...SERVICE_ENV_SHAPE,
    NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
    APP_PORT: envInt({ min: 0, max: 65_535, default: 4000 }),
    DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
    DB_POOL_SIZE: envInt({ min: 1, max: 200, default: 20 }),
    DB_IDLE_TIMEOUT: envInt({ min: 1000, max: 3_600_000, default: 30_000 }),
    /** Prepared statements kept per connection (named queries); default 100. */
    DB_STATEMENT_CACHE_SIZE: envInt({ min: 0, max: 10_000, default: 100 }),
    REDIS_URL: envUrl(['redis:', 'rediss:']),
    REDIS_DB: envInt({ min: 0, max: 15, default: 0 }),
    REDIS_PASSWORD: z.string().default(''),
    /** Prefix of the service's Redis keys (several services or tests can share one Redis). */
    REDIS_KEY_PREFIX: z.string().max(100).default('serialization:'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit secret)'),
    JWT_EXPIRATION: durationSeconds.default(86_400),
    ADMIN_USERNAME: z
      .string()
      .regex(/^[a-z][a-z0-9._-]{1,63}$/, 'must be a lowercase user name')
      .default('admin'),
    ADMIN_PASSWORD: z.string().default(''),
    API_BASE_URL: optionalUrl(['http:', 'https:']),
    CORS_ORIGINS: commaList,
    SERIAL_BATCH_SIZE: envInt({ min: 1, max: 10_000, default: 100 }),
    /** Seconds a "taken" answer stays in the Redis cache in front of the database check. */
    SERIAL_UNIQUENESS_CACHE_TTL: envInt({ min: 1, max: 86_400 * 30, default: 3600 }),
    SERIAL_PROPAGATION_DEPTH_LIMIT: envInt({ min: 1, max: 1000, default: 50 }),
    /** Nodes of recent made-of and where-used listings kept in memory, in all; 0 keeps none. */
    SERIAL_GENEALOGY_CACHE_NODES: envInt({ min: 0, max: 10_000_000, default: 200_000 }),
    SERIAL_DEFAULT_SCOPE: z.enum(UNIQUENESS_SCOPES).default('part'),
    /** Largest count of one generation request. */
    SERIAL_MAX_GENERATE_COUNT: envInt({ min: 1, max: 100_000, default: 10_000 }),
    /** About seven years by default; below 5 years is refused (14 CFR 21.137 keeps quality records >= 5 years). */
    AUDIT_RETENTION_DAYS: envInt({ min: 1826, max: 36_500, default: 2555 }),
    /** Audit rows per INSERT statement when one request writes many (batch generation). */
    AUDIT_BATCH_WRITE_SIZE: envInt({ min: 1, max: 10_000, default: 500 }),
    SENTRY_DSN: optionalUrl(['https:', 'http:']),
    DATADOG_API_KEY: z.string().default(''),
    PROMETHEUS_ENABLED: envBool({ default: true }),
    SMTP_HOST: z.string().default(''),
    SMTP_PORT: envInt({ min: 1, max: 65_535, default: 587 }),
    SMTP_USER: z.string().default(''),
    SMTP_PASSWORD: z.string().default(''),
    /** The feature switch of the guide's "feature rollback": false answers 503 on the serialization API. */
    SERIALIZATION_ENABLED: envBool({ default: true }),
    /** Release name set by the cutover agent; shown in health documents. */
    CUTOVER_RELEASE: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && /change-me/i.test(env.JWT_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is the example value: set a random secret (scripts/setup-local.sh writes one)',
      });
    }
    if (env.SMTP_HOST !== '' && env.SMTP_USER === '') {
      ctx.addIssue({ code: 'custom', path: ['SMTP_USER'], message: 'is required when SMTP_HOST is set' });
    }
  });

export type SerializationConfig = z.output<typeof serializationEnvSchema>;
