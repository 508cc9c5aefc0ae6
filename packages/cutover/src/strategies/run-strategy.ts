import type { RolloutConfig } from '../config/schema-rollout.ts';
import type { TrafficRouter } from '../orchestrator/traffic-router.ts';
import type { DeploymentSignals } from '../store/deployment-signals.ts';
import { runBlueGreen } from './blue-green.ts';
import { runCanary } from './canary.ts';
import { type RolloutResult, runRolling, type StrategyContext } from './rolling.ts';

/** What the canary and blue-green strategies need beyond the rolling one's context. */
export interface StrategyDeps {
  /** Weights and the proxy's counters and samples (the agent's admin API on one host). */
  router: TrafficRouter;
  /** Where `cutover promote` / `cutover abort` write; null: no human input. */
  signals: DeploymentSignals | null;
  /** Directory analysis commands run in (the one of cutover.yml). */
  cwd: string;
  /** How often signals are polled (default DEFAULT_SIGNAL_POLL_MS). */
  signalPollMs?: number;
  /** Ctrl-C aborts the rollout instead of leaving it half done (the CLI sets it). */
  abortOnSigint?: boolean;
}

/** Runs the rollout strategy cutover.yml names. */
export function runStrategy(ctx: StrategyContext, config: RolloutConfig, deps: StrategyDeps): Promise<RolloutResult> {
  switch (config.strategy) {
    case 'rolling':
      return clearWeights(ctx, deps.router).then(() => runRolling(ctx, config));
    case 'blueGreen':
      return runBlueGreen(ctx, config, deps);
    case 'canary':
      return runCanary(ctx, config, deps);
  }
}

/**
 * A rolling deploy spreads traffic over every healthy instance: weights left by an interrupted canary
 * would pin traffic to one release, so they are cleared first (recorded when there were any).
 */
async function clearWeights(ctx: StrategyContext, router: TrafficRouter): Promise<void> {
  const previous = await router.weights(ctx.plan.service);
  if (previous === null) return;
  await router.setWeights(ctx.plan.service, null);
  ctx.emit('weights:set', { weights: null, previous, reason: 'rolling deploy: leftover release weights cleared' });
}
