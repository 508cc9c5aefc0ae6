import type { RolloutConfig } from '../config/schema-rollout.ts';
import { blueGreenStrategy } from './blue-green.ts';
import { canaryStrategy } from './canary.ts';
import { rollingStrategy } from './rolling.ts';
import type { RolloutResult, Strategy, StrategyContext, StrategyDeps } from './strategy.ts';

/** Every strategy, by the name cutover.yml gives it. */
export const STRATEGIES: { [K in RolloutConfig['strategy']]: Strategy<Extract<RolloutConfig, { strategy: K }>> } = {
  rolling: rollingStrategy,
  blueGreen: blueGreenStrategy,
  canary: canaryStrategy,
};

/** Runs the rollout strategy cutover.yml names. */
export function runStrategy(ctx: StrategyContext, config: RolloutConfig, deps: StrategyDeps): Promise<RolloutResult> {
  const strategy = STRATEGIES[config.strategy] as Strategy;
  return strategy.run(ctx, config, deps);
}
