import { envInt, envUrl, SERVICE_ENV_SHAPE } from '@cutover/service-kit';
import { z } from 'zod';

/** The payments service's environment (cutover.yml `env:` in production). */
export const paymentsEnvSchema = z.object({
  ...SERVICE_ENV_SHAPE,
  PAYMENTS_DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
  /** The auth service's key set, e.g. through the proxy: http://127.0.0.1:8080/auth/.well-known/jwks.json. */
  AUTH_JWKS_URL: envUrl(['http:', 'https:']),
  /** The only accepted `iss`. */
  JWT_ISSUER: z.string().min(1),
  /** The accepted `aud`: this service. */
  JWT_AUDIENCE: z.string().min(1),
  PG_POOL_MAX: envInt({ min: 1, max: 100, default: 10 }),
  /** Release name set by the cutover agent; shown as `releaseId` in health documents. */
  CUTOVER_RELEASE: z.string().optional(),
});

export type PaymentsConfig = z.output<typeof paymentsEnvSchema>;
