import { z } from 'zod';
import * as D from '../config/defaults.ts';
import { durationMs } from './duration.ts';

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

/** Rollout strategies; blue-green and canary join this union. */
export const rolloutStrategySchema = z.discriminatedUnion('strategy', [rolling]).default(() => rolling.parse({ strategy: 'rolling' }));

export type RolloutConfig = z.output<typeof rolloutStrategySchema>;
