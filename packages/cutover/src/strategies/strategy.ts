import type { RolloutConfig } from '../config/schema-rollout.ts';
import type { TrafficRouter } from '../platform/traffic-router.ts';
import type { WorkloadBackend } from '../platform/workload-backend.ts';
import type { ReleasePlan } from '../releases/release-plan.ts';
import type { DeploymentSignals } from '../store/deployment-signals.ts';

/**
 * The contract every rollout strategy implements (rolling, blue-green, canary): given the release
 * to move to, the one serving now, and the interfaces to the world, move traffic and report the
 * outcome as a value. A strategy never throws for an expected failure; whatever it throws is
 * treated by the controller like a failed health check (the previous release is restored).
 */
export interface Strategy<C extends RolloutConfig = RolloutConfig> {
  name: C['strategy'];
  run(ctx: StrategyContext, config: C, deps: StrategyDeps): Promise<RolloutResult>;
}

export interface StrategyContext {
  deploymentId: number;
  /** The release to move to. */
  plan: ReleasePlan;
  /** The last good release, restored on failure (null on a first deploy). */
  previous: ReleasePlan | null;
  backend: WorkloadBackend;
  /** Records an event in the deployment and shows it as progress. */
  emit(type: string, data: Record<string, unknown>): void;
  /** How often new instances are checked for crashes (default DEFAULT_WATCH_INTERVAL_MS). */
  watchIntervalMs?: number;
  /**
   * The checkpoint the interrupted run of this rollout recorded (a controller restart): a strategy
   * that can resume adopts what it had started and goes on from there; null for a fresh rollout.
   */
  resume?: RolloutCheckpoint | null;
  /** Records where the rollout stands, so that a restarted controller can resume it (kept in the record's facts). */
  checkpoint?(state: RolloutCheckpoint): void;
}

/** Where a rollout stands, as a strategy records it: its name plus what it needs to go on. */
export interface RolloutCheckpoint {
  strategy: string;
  [key: string]: unknown;
}

export interface RolloutResult {
  outcome: 'ok' | 'failed';
  reason?: string;
  /** On failure: whether the old release is back at full capacity. */
  restored?: boolean;
  values: Record<string, unknown>;
}

/** What a strategy needs beyond its context: traffic, human input, where commands run. */
export interface StrategyDeps {
  /** Weights and the proxy's counters and samples (the agent's admin API on one host). */
  router: TrafficRouter;
  /** Where `cutover promote` / `cutover abort` write; null: no human input. */
  signals: DeploymentSignals | null;
  /** Directory analysis commands run in (the one of cutover.yml). */
  cwd: string;
  /** How often signals are polled (default DEFAULT_SIGNAL_POLL_MS). */
  signalPollMs?: number;
  /** Ctrl-C aborts the rollout instead of leaving it half done (set when the rollout runs in a terminal). */
  abortOnSigint?: boolean;
}
