import { z } from 'zod';
import * as D from '../config/defaults.ts';
import { durationMs } from '../shared/duration.ts';
import { analysisSchema } from './schema-analysis.ts';

/** Canary instances started (and health-gated) before the first weight. */
export const DEFAULT_CANARY_INSTANCES = 1;
/** Blue-green: how long the old set stays running, out of selection, after the switch (Argo's 30 s). */
export const DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_MS = 30_000;
/** Canary: how long the old release stays running, out of selection, after promotion. */
export const DEFAULT_CANARY_SCALE_DOWN_DELAY_MS = 0;
/** An inconclusive analysis waits for a human ("cutover promote" or "cutover abort"). */
export const DEFAULT_ON_INCONCLUSIVE = 'pause';
export const DEFAULT_SMOKE_TIMEOUT_MS = 5_000;
export const DEFAULT_SMOKE_ATTEMPTS = 1;
export const DEFAULT_SMOKE_RETRY_DELAY_MS = 1_000;

const rolling = z.strictObject({
  strategy: z.literal('rolling'),
  /** New instances started per batch. */
  batchSize: z.number().int().min(1).default(D.DEFAULT_BATCH_SIZE),
  /** How long a new instance may take to pass its health check. */
  healthTimeoutMs: durationMs().default(D.DEFAULT_START_TIMEOUT_MS),
  /** Wait after each batch, watching the new instances, before the next one. */
  pauseMs: durationMs().default(D.DEFAULT_ROLLOUT_PAUSE_MS),
  /** After the last batch, keep watching the new release this long before calling it good. */
  bakeMs: durationMs().default(D.DEFAULT_BAKE_MS),
});

/** What an inconclusive verdict does: abort, wait for a human (default), or carry on. */
const onInconclusive = z.enum(['abort', 'pause', 'promote']).default(DEFAULT_ON_INCONCLUSIVE);

/** A gate that must end on its own: a blocking analysis cannot run until stopped. */
const blockingAnalysis = analysisSchema.superRefine((analysis, ctx) => {
  analysis.metrics.forEach((metric, index) => {
    if (metric.count === 'until-stopped') {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', index, 'count'],
        message:
          'until-stopped never ends, so this analysis would block forever: give a count (until-stopped belongs in backgroundAnalysis)',
      });
    }
  });
});

const smokeCheck = z.strictObject({
  /** Shown in the record (default: "<method> <path>"). */
  name: z.string().min(1).optional(),
  method: z.string().default('GET'),
  /** Sent to every new instance on its private port, before it takes any traffic. */
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  /** Status codes that pass (default: any 2xx). */
  expectStatus: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  /** The answer's body must contain this text. */
  bodyIncludes: z.string().optional(),
  timeoutMs: durationMs().default(DEFAULT_SMOKE_TIMEOUT_MS),
  /** Tries before the check fails (default 1). */
  attempts: z.number().int().min(1).max(100).default(DEFAULT_SMOKE_ATTEMPTS),
  retryDelayMs: durationMs().default(DEFAULT_SMOKE_RETRY_DELAY_MS),
});

const blueGreen = z.strictObject({
  strategy: z.literal('blueGreen'),
  /** How long a new instance may take to pass its health check. */
  healthTimeoutMs: durationMs().default(D.DEFAULT_START_TIMEOUT_MS),
  /** HTTP checks sent straight to each new instance before the switch; one failure stops the deploy. */
  smokeChecks: z.array(smokeCheck).default([]),
  /** Judged before the switch (the new set only gets requests that force its release). */
  prePromotionAnalysis: blockingAnalysis.optional(),
  /** false: after the checks, wait for "cutover promote" before switching (default true). */
  autoPromote: z.boolean().default(true),
  /** Judged after the switch; a failure switches back at once. */
  postPromotionAnalysis: blockingAnalysis.optional(),
  /** After the switch, the old set keeps running out of selection this long, so switching back is instant (default 30s). */
  scaleDownDelayMs: durationMs().default(DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_MS),
  onInconclusive,
});

const setWeightStep = z.strictObject({
  /** Percent of new requests for the canary release; the stable release gets the rest. */
  setWeight: z.number().int().min(0).max(100),
});
const pauseStep = z.strictObject({
  /**
   * With durationMs: wait that long (cutover promote ends it early); without: a human gate that waits
   * for cutover promote, for at most timeoutMs when given, then does what onTimeout says (default abort).
   */
  pause: z
    .strictObject({
      durationMs: durationMs().optional(),
      timeoutMs: durationMs().optional(),
      onTimeout: z.enum(['abort', 'promote']).optional(),
    })
    .superRefine((pause, ctx) => {
      if (pause.durationMs !== undefined && (pause.timeoutMs !== undefined || pause.onTimeout !== undefined))
        ctx.addIssue({
          code: 'custom',
          message:
            'a timed pause (durationMs) ends by itself; timeoutMs and onTimeout belong to a human gate ({ pause: { timeoutMs, onTimeout } })',
        });
      if (pause.onTimeout !== undefined && pause.timeoutMs === undefined)
        ctx.addIssue({ code: 'custom', path: ['onTimeout'], message: 'needs timeoutMs (how long the gate waits for cutover promote)' });
    }),
});
const analysisStep = z.strictObject({
  /** Blocks until a verdict: pass goes on, fail or error aborts, inconclusive follows onInconclusive. */
  analysis: blockingAnalysis,
});

const STEP_SCHEMAS = { setWeight: setWeightStep, pause: pauseStep, analysis: analysisStep } as const;
type CanaryStepOutput = z.output<(typeof STEP_SCHEMAS)[keyof typeof STEP_SCHEMAS]>;

/** One canary step, validated by the schema its key names, so a problem is reported inside that step. */
const canaryStep = z.unknown().transform((value, ctx): CanaryStepOutput => {
  const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  const kind = keys.find((key): key is keyof typeof STEP_SCHEMAS => key in STEP_SCHEMAS);
  if (kind === undefined) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be one of { setWeight: <0-100> }, { pause: { durationMs: <duration> } }, { pause: {} } or { analysis: { metrics: [...] } }',
    });
    return z.NEVER;
  }
  const result = STEP_SCHEMAS[kind].safeParse(value);
  if (result.success) return result.data;
  // The step's own issues as they are (wrong type, too big...), so the message can say what was wrong.
  for (const issue of result.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

const canary = z.strictObject({
  strategy: z.literal('canary'),
  /** Instances of the new release started and health-gated before the first weight (default 1). */
  canaryInstances: z.number().int().min(1).default(DEFAULT_CANARY_INSTANCES),
  /** How long a new instance may take to pass its health check. */
  healthTimeoutMs: durationMs().default(D.DEFAULT_START_TIMEOUT_MS),
  /** In order; after the last one the canary is promoted to 100 %. */
  steps: z.array(canaryStep).default([]),
  /** Runs from the first weight to the promotion; fail or error aborts at any time. */
  backgroundAnalysis: analysisSchema.optional(),
  onInconclusive,
  /** After promotion, the old release keeps running out of selection this long (default 0). */
  scaleDownDelayMs: durationMs().default(DEFAULT_CANARY_SCALE_DOWN_DELAY_MS),
});

/** Rollout strategies. */
export const rolloutStrategySchema = z
  .discriminatedUnion('strategy', [rolling, blueGreen, canary])
  .default(() => rolling.parse({ strategy: 'rolling' }));

export type RolloutConfig = z.output<typeof rolloutStrategySchema>;

/**
 * How a rollback moves: back to a release that already proved itself, so without canary steps or
 * analysis (the gates it passed once). It keeps the health-gated rolling switch and the configured
 * health wait.
 */
export function rollbackRollout(configured: RolloutConfig): RolloutConfig {
  if (configured.strategy === 'rolling') return configured;
  return rolling.parse({ strategy: 'rolling', healthTimeoutMs: configured.healthTimeoutMs });
}
export type RollingConfig = Extract<RolloutConfig, { strategy: 'rolling' }>;
export type BlueGreenConfig = Extract<RolloutConfig, { strategy: 'blueGreen' }>;
export type CanaryConfig = Extract<RolloutConfig, { strategy: 'canary' }>;
export type CanaryStep = CanaryConfig['steps'][number];
export type SmokeCheckConfig = BlueGreenConfig['smokeChecks'][number];
export type OnInconclusive = CanaryConfig['onInconclusive'];
