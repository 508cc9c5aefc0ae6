import { envInt, envUrl, SERVICE_ENV_SHAPE } from '@cutover/service-kit';
import { z } from 'zod';
import { DEFAULT_ACCOUNT_MAX_ATTEMPTS, DEFAULT_IP_MAX_ATTEMPTS, DEFAULT_LOCKOUT_MS, DEFAULT_THROTTLE_WINDOW_MS } from './login-throttle.ts';
import { DEFAULT_SCRYPT_LOG2_N } from './password-hasher.ts';

/** Default lifetime of an access token: 15 minutes. */
export const DEFAULT_ACCESS_TOKEN_TTL_SEC = 900;
/** scrypt runs on libuv's thread pool at 128 MiB each: at most this many at once per instance. */
export const DEFAULT_PASSWORD_HASH_CONCURRENCY = 2;
/** Hash requests waiting for a slot beyond this are refused with 503. */
export const DEFAULT_PASSWORD_HASH_QUEUE = 64;
export const DEFAULT_PASSWORD_HASH_TIMEOUT_MS = 15_000;

/** The auth service's environment (cutover.yml `env:` in production). */
export const authEnvSchema = z.object({
  ...SERVICE_ENV_SHAPE,
  AUTH_DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
  REDIS_URL: envUrl(['redis:', 'rediss:']),
  /** `iss` of the tokens; the payments service accepts only this issuer. */
  JWT_ISSUER: z.string().min(1),
  /** `aud` of the tokens: the payments service. */
  JWT_AUDIENCE: z.string().min(1),
  /** JSON file `{ "keys": [private JWK, ...] }` written by generate-signing-key.ts. */
  AUTH_SIGNING_KEYS_FILE: z.string().min(1),
  ACCESS_TOKEN_TTL_SEC: envInt({ min: 60, max: 86_400, default: DEFAULT_ACCESS_TOKEN_TTL_SEC }),
  /** log2 of scrypt's N; never below the OWASP recommendation. */
  SCRYPT_LOG2_N: envInt({ min: DEFAULT_SCRYPT_LOG2_N, max: 20, default: DEFAULT_SCRYPT_LOG2_N }),
  PASSWORD_HASH_CONCURRENCY: envInt({ min: 1, max: 16, default: DEFAULT_PASSWORD_HASH_CONCURRENCY }),
  PASSWORD_HASH_QUEUE: envInt({ min: 0, max: 10_000, default: DEFAULT_PASSWORD_HASH_QUEUE }),
  THROTTLE_KEY_PREFIX: z.string().min(1).default('payment-auth:throttle:'),
  LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: envInt({ min: 1, default: DEFAULT_ACCOUNT_MAX_ATTEMPTS }),
  LOGIN_MAX_ATTEMPTS_PER_IP: envInt({ min: 1, default: DEFAULT_IP_MAX_ATTEMPTS }),
  LOGIN_WINDOW_MS: envInt({ min: 1000, default: DEFAULT_THROTTLE_WINDOW_MS }),
  LOGIN_LOCKOUT_MS: envInt({ min: 1000, default: DEFAULT_LOCKOUT_MS }),
  PG_POOL_MAX: envInt({ min: 1, max: 100, default: 10 }),
  /** Release name set by the cutover agent; shown as `releaseId` in health documents. */
  CUTOVER_RELEASE: z.string().optional(),
});

export type AuthConfig = z.output<typeof authEnvSchema>;
