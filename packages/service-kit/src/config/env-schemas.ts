import { z } from 'zod';

/** Integer from an env string; rejects '', '12abc' and fractions (z.coerce.number() accepts '' as 0). */
export function envInt(options: { min?: number; max?: number; default?: number } = {}) {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const parsed = z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));
  return options.default === undefined ? parsed : parsed.default(options.default);
}

/** Boolean from `true/false/1/0/yes/no/on/off` (case-insensitive). */
export function envBool(options: { default?: boolean } = {}) {
  const parsed = z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' }))
    .transform((value) => value === 'true' || value === '1' || value === 'yes' || value === 'on');
  return options.default === undefined ? parsed : parsed.default(options.default);
}

/** A URL with one of the given protocols (e.g. `['postgres:', 'postgresql:']`). */
export function envUrl(protocols: readonly string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
}

/**
 * A comma-separated `host:port` list, e.g. `node1:6379,node2:6379,node3:6379` (REDIS_CLUSTER_NODES),
 * as `{ host, port }` objects; '' (the default) is []. An item that is not host:port is an error
 * naming it.
 */
export function envHostPorts() {
  return z
    .string()
    .default('')
    .transform((value, ctx) => {
      const nodes: { host: string; port: number }[] = [];
      for (const item of value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const match = /^([^:\s]+):(\d{1,5})$/.exec(item);
        const port = Number(match?.[2]);
        if (!match || port < 1 || port > 65_535) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port` });
          return z.NEVER;
        }
        nodes.push({ host: match[1] as string, port });
      }
      return nodes;
    });
}

/**
 * Variables every reference service reads; spread into a service's own schema:
 * `z.object({ ...SERVICE_ENV_SHAPE, DATABASE_URL: envUrl(['postgres:']) })`.
 */
export const SERVICE_ENV_SHAPE = {
  /** Listening port; default 3000. */
  PORT: envInt({ min: 0, max: 65535, default: 3000 }),
  /** Listening address; default 127.0.0.1 (the cutover proxy fronts services on loopback). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** pino level; default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Grace period from SIGTERM to forced exit; default 10000. */
  SHUTDOWN_GRACE_PERIOD_MS: envInt({ min: 0, default: 10_000 }),
  /** How long readiness fails before the listener closes; default 3000. */
  SHUTDOWN_DELAY_MS: envInt({ min: 0, default: 3_000 }),
};
