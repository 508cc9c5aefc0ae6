import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';

/** Offered requests per second of the built-in generator (20). */
export const DEFAULT_LOAD_RATE_PER_SECOND = 20;
export const DEFAULT_LOAD_DURATION_MS = 30_000;
export const DEFAULT_LOAD_REQUEST_TIMEOUT_MS = 5_000;
/** Requests in flight beyond this are not sent but counted as dropped: the generator stays bounded (256). */
export const DEFAULT_LOAD_MAX_IN_FLIGHT = 256;
/** A load-test command is killed with its process group past this (10 min). */
export const DEFAULT_LOAD_COMMAND_TIMEOUT_MS = 600_000;
/** The built-in generator offers at most this rate and runs at most this long: load tests stay bounded. */
export const MAX_LOAD_RATE_PER_SECOND = 5_000;
export const MAX_LOAD_DURATION_MS = 3_600_000;

const success = z.strictObject({
  /** Answered requests over offered ones, 0..1: the rate was held (default 0.95). */
  minRateRatio: z.number().min(0).max(1).default(0.95),
  /** Highest 95th-percentile latency (none by default). */
  maxP95Ms: z.number().positive().optional(),
  /** Highest share of errors (5xx, timeouts, refused connections), 0..1 (default 0.01). */
  maxErrorRate: z.number().min(0).max(1).default(0.01),
});

/**
 * `validation.loadTest`: a configured load offered to the new release after the switch, judged like
 * an analysis. Either the built-in open-loop generator (requests at a fixed rate, whether or not
 * earlier ones were answered, so a slow release cannot slow the test down), always on loopback, or a
 * command such as the service's own load script.
 */
export const loadTestSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/)
      .optional(),
    /** The built-in generator: through the proxy (default) or spread over the new release's instances. */
    via: z.enum(['proxy', 'instances']).default('proxy'),
    method: z.string().default('GET'),
    path: z.string().startsWith('/').default('/'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    ratePerSecond: z.number().positive().max(MAX_LOAD_RATE_PER_SECOND).default(DEFAULT_LOAD_RATE_PER_SECOND),
    durationMs: durationMs().default(DEFAULT_LOAD_DURATION_MS),
    /** A request unanswered past this counts as an error. */
    requestTimeoutMs: durationMs().default(DEFAULT_LOAD_REQUEST_TIMEOUT_MS),
    maxInFlight: z.number().int().min(1).max(10_000).default(DEFAULT_LOAD_MAX_IN_FLIGHT),
    /**
     * Instead of the generator: run this (in the new release's directory, with CUTOVER_LOAD_URL,
     * CUTOVER_LOAD_RATE and CUTOVER_LOAD_DURATION_MS set). Exit 0 passes; a last output line of JSON
     * with ratePerSecond, p95Ms, errorRate is judged against `success` too.
     */
    command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    commandTimeoutMs: durationMs().default(DEFAULT_LOAD_COMMAND_TIMEOUT_MS),
    success: success.default(() => success.parse({})),
  })
  .refine((value) => value.durationMs <= MAX_LOAD_DURATION_MS, { message: 'must be at most 1h', path: ['durationMs'] });

export type LoadTestConfig = z.output<typeof loadTestSchema>;
export type LoadSuccessCriteria = LoadTestConfig['success'];
