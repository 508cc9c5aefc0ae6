import { z } from 'zod';
import { CutoverError } from '../errors/cutover-error.ts';
import type { RouteSpec } from './proxy/proxy-types.ts';
import type { InstanceSpec } from './supervisor/instance-spec.ts';

/**
 * The bodies the admin API accepts, strict: an unknown field is refused, not ignored, so a client
 * that misspells a key (or speaks a newer API) hears about it instead of being half obeyed.
 */
const ms = z.number().int().min(0);
const name = z.string().min(1).max(200);
const headerName = z.string().min(1).max(200);
const pathPrefixes = z.array(z.string().startsWith('/')).max(100);

export const routeBodySchema = z.strictObject({
  hosts: z.array(z.string().min(1).max(255)).max(100),
  pathPrefix: z.string().startsWith('/'),
  stripPrefix: z.boolean(),
  drainTimeoutMs: ms,
  websocketGraceMs: ms,
  stickyCookie: headerName.optional(),
  stickyHeader: headerName.optional(),
  forceReleaseHeader: headerName.optional(),
  connectTimeoutMs: ms.optional(),
  responseTimeoutMs: ms.optional(),
  idleTimeoutMs: ms.optional(),
  metricsPaths: z.strictObject({ include: pathPrefixes.optional(), exclude: pathPrefixes.optional() }).optional(),
});

export const weightsBodySchema = z.strictObject({ weights: z.record(name, z.number()).nullable() });

const healthTiming = {
  intervalMs: ms,
  startIntervalMs: ms,
  timeoutMs: ms,
  healthyThreshold: z.number().int().min(1),
  unhealthyThreshold: z.number().int().min(1),
  startTimeoutMs: ms,
  upForMs: ms,
};
const healthSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    path: z.string().startsWith('/'),
    expectStatus: z.array(z.number().int()).optional(),
    ...healthTiming,
  }),
  z.strictObject({ type: z.literal('tcp'), ...healthTiming }),
  z.strictObject({ type: z.literal('command'), command: z.string().min(1), ...healthTiming }),
  z.strictObject({ type: z.literal('process'), ...healthTiming }),
]);

export const instanceSpecSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, dots, dashes and underscores'),
  service: name,
  release: name,
  processType: name,
  command: z.string().min(1),
  cwd: z.string().startsWith('/'),
  env: z.record(z.string(), z.string()),
  /** References only (a file, a command): the agent reads the values when it spawns the instance. */
  secrets: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
      z.union([
        z.strictObject({ file: z.string().startsWith('/') }),
        z.strictObject({ command: z.string().min(1), cwd: z.string().startsWith('/'), timeoutMs: ms }),
      ]),
    )
    .optional(),
  portEnv: z.string().min(1).nullable(),
  health: healthSchema.optional(),
  restart: z.strictObject({ maxRestarts: z.number().int().min(0), backoffMs: ms, maxBackoffMs: ms, windowMs: ms }),
  stopTimeoutMs: ms,
});

/**
 * Compile-time guard: a field added to InstanceSpec or RouteSpec must be added to its schema here,
 * or typechecking fails (instead of every deploy being refused with an unknown field).
 */
type MissingKeys<T, S extends z.ZodType> = Exclude<keyof T, keyof z.output<S>>;
const instanceSpecCovered: MissingKeys<InstanceSpec, typeof instanceSpecSchema> extends never ? true : false = true;
const routeSpecCovered: MissingKeys<Omit<RouteSpec, 'service'>, typeof routeBodySchema> extends never ? true : false = true;
void instanceSpecCovered;
void routeSpecCovered;

export const startInstanceBodySchema = z.strictObject({
  spec: instanceSpecSchema,
  route: z.boolean(),
  /** Part of a rollout: a crash, an exit or a lost health check fails it at once (no restart into traffic). */
  rollout: z.boolean().optional(),
});

export const stopInstanceBodySchema = z.strictObject({ timeoutMs: ms.optional() }).optional();
export const emptyBodySchema = z.strictObject({}).optional();
export const shutdownBodySchema = z.strictObject({ stopInstances: z.boolean().optional() }).optional();

/** The body checked against its schema; a bad one is CUT_ERR_AGENT_REQUEST_INVALID naming each field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, route: string): z.output<S> {
  const result = schema.safeParse(body ?? undefined);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
  throw new CutoverError('CUT_ERR_AGENT_REQUEST_INVALID', `invalid body for ${route}: ${problems.join('; ')}`, {
    where: route,
    hint: 'send the fields the admin API documents, and no others (a client and agent of different versions?)',
    details: { problems },
  });
}
