/**
 * Canary strategy: a few instances of the new release beside the stable one, a share of traffic
 * that grows step by step while analyses judge it, then promotion, or an abort that puts every new
 * request back on the stable release with one call.
 *
 * States and transitions:
 *   pinning      → starting       weights {stable: 100}; leftovers of an interrupted deployment stopped
 *   starting     → stepping       canaryInstances started, health-gated and in the pool (no share yet)
 *   stepping     → stepping       setWeight N: weights {stable: 100-N, canary: N}; pause: a time or a
 *                                 promote; analysis: blocks until its verdict
 *   stepping     → paused         an inconclusive verdict with onInconclusive: pause
 *   paused       → stepping       cutover promote
 *   stepping     → promoting      the steps are done, or promote --full skipped the rest
 *   promoting    → keeping-warm   the rest of the new release started and healthy; weights {canary: 100}
 *   keeping-warm → retiring       scaleDownDelayMs elapsed: the old release drains and stops; weights cleared
 *   retiring     → done
 *   any but retiring → aborting → failed   a fail or error verdict (step or background analysis), cutover
 *                                          abort, a failed new instance, Ctrl-C
 * The stable release keeps its full capacity until retiring.
 */

import type { AnalysisResult } from '../analysis/analysis-result.ts';
import type { CanaryConfig, CanaryStep } from '../config/schema-rollout.ts';
import type { ProcessPlan } from '../releases/release-plan.ts';
import { GuardedRollout } from './guarded-rollout.ts';
import { fallBackToRolling, gateInstances, retireInstances, startInstances } from './release-set.ts';
import type { RolloutResult, Strategy, StrategyContext, StrategyDeps } from './strategy.ts';
import { applyWeights, buildCanaryWeights } from './traffic-weights.ts';

export const canaryStrategy: Strategy<CanaryConfig> = { name: 'canary', run: runCanary };

async function runCanary(ctx: StrategyContext, config: CanaryConfig, deps: StrategyDeps): Promise<RolloutResult> {
  const routed = ctx.plan.processes.find((p) => p.routed && p.instances > 0);
  const stable = ctx.previous?.release ?? null;
  const serving = (await ctx.backend.instances(ctx.plan.service)).some((i) => i.spec.release === stable && i.inPool);
  if (!routed) return fallBackToRolling(ctx, deps.router, config.healthTimeoutMs, 'no routed process type: nothing to split traffic for');
  if (stable === null || stable === ctx.plan.release || !serving)
    return fallBackToRolling(ctx, deps.router, config.healthTimeoutMs, 'no other release serves: nothing to compare the canary with');
  return new CanaryRollout(ctx, config, deps, stable, routed).run();
}

/** What a canary records to be resumed: its instances, its weight, the steps done, the deadline of the current one. */
interface CanaryCheckpoint {
  canaries: string[];
  weight: number;
  stepsDone: number;
  /** The step running when recorded, with its absolute deadline (a timed pause or a gate with a timeout). */
  current?: { index: number; startedAt: number; deadlineAt?: number };
}

class CanaryRollout extends GuardedRollout {
  protected readonly strategyName = 'canary';
  /** The checkpoint of the interrupted run, when resuming. */
  #resumed: CanaryCheckpoint | null = null;
  readonly #config: CanaryConfig;
  readonly #routed: ProcessPlan;
  #canaries: string[] = [];
  #weight = 0;
  #stepsDone = 0;
  #background: { done: Promise<AnalysisResult | null>; stop: AbortController } | null = null;
  /** The background analysis ended by itself (its verdict was judged then). */
  #backgroundEnded = false;
  /** A background analysis that ended inconclusive by itself: a human decides at the next step. */
  #backgroundHold: string | null = null;

  constructor(ctx: StrategyContext, config: CanaryConfig, deps: StrategyDeps, stable: string, routed: ProcessPlan) {
    super(ctx, deps, stable, config.onInconclusive);
    this.#config = config;
    this.#routed = routed;
  }

  protected values(): Record<string, unknown> {
    return { strategy: 'canary', stable: this.stable, canaries: this.#canaries, weight: this.#weight, stepsDone: this.#stepsDone };
  }

  protected async body(): Promise<RolloutResult> {
    const { ctx } = this;
    if (!(await this.#adopt())) {
      const service = ctx.plan.service;
      await this.#setWeight(0, 'traffic pinned on the stable release while the canary starts');
      const leftovers = (await ctx.backend.instances(service)).filter((i) => i.spec.release !== this.stable);
      await retireInstances(
        ctx,
        leftovers.map((i) => i.spec.id),
        'left by an interrupted deployment',
      );
      const count = Math.min(this.#config.canaryInstances, this.#routed.instances);
      ctx.emit('rollout:canary-starting', { release: ctx.plan.release, instances: count });
      const started = await startInstances(ctx, this.watch, [{ plan: this.#routed, count }], this.nextSeq);
      this.#canaries = started.map((info) => info.spec.id);
      const gate = await gateInstances(ctx, this.control, this.watch, started, new Set(this.#canaries), this.#config.healthTimeoutMs);
      this.failGate(gate);
      if (this.control.aborted) return this.abort();
      this.checkpoint({ canaries: this.#canaries, weight: this.#weight, stepsDone: 0 });
    }

    if (this.#config.backgroundAnalysis) {
      const background = this.startAnalysis('background', this.#config.backgroundAnalysis, 'canary');
      this.#background = background;
      void background.done.then(async (result) => {
        if (result === null || background.stop.signal.aborted) return;
        this.#backgroundEnded = true;
        if (result.verdict === 'inconclusive' && this.#config.onInconclusive === 'pause')
          this.#backgroundHold = this.verdicts.at(-1)?.summary ?? 'inconclusive';
        else await this.judge('background', result);
      });
    }

    for (const [index, step] of this.#config.steps.entries()) {
      if (index < this.#stepsDone) continue;
      if (this.control.aborted) return this.abort();
      await this.#holdForBackground();
      if (this.control.aborted) return this.abort();
      if (this.control.fullPromotion) {
        ctx.emit('rollout:step-skipped', { step: index + 1, reason: 'promote --full' });
        continue;
      }
      await this.#runStep(index + 1, step);
      if (!this.control.aborted) {
        this.#stepsDone = index + 1;
        this.checkpoint({ stepsDone: this.#stepsDone, current: undefined });
      }
    }
    if (this.control.aborted) return this.abort();
    await this.#stopBackground();
    await this.#holdForBackground();
    if (this.control.aborted) return this.abort();
    return this.#promote();
  }

  async #runStep(n: number, step: CanaryStep): Promise<void> {
    const of = this.#config.steps.length;
    if ('setWeight' in step) {
      this.ctx.emit('rollout:step', { step: n, of, setWeight: step.setWeight });
      await this.#setWeight(step.setWeight, `step ${n} of ${of}`);
    } else if ('pause' in step) {
      const ms = step.pause.durationMs ?? step.pause.timeoutMs;
      const deadlineAt = this.#deadlineOf(n - 1, ms);
      this.ctx.emit('rollout:step', { step: n, of, pauseMs: step.pause.durationMs ?? null, ...(deadlineAt ? { deadlineAt } : {}) });
      if (step.pause.durationMs === undefined) {
        const timeoutMs = step.pause.timeoutMs;
        const timeout =
          timeoutMs !== undefined && deadlineAt !== undefined
            ? { deadlineAt, timeoutMs, onTimeout: step.pause.onTimeout ?? 'abort' }
            : undefined;
        await this.humanGate(`step ${n} is a pause without an end`, timeout);
      } else await this.hold(Math.max(0, (deadlineAt as number) - Date.now()), `ended the pause of step ${n} early`);
    } else {
      this.#deadlineOf(n - 1, undefined);
      this.ctx.emit('rollout:step', { step: n, of, analysis: step.analysis.metrics.map((m) => m.name) });
      await this.analysisGate(`step ${n}`, step.analysis, 'canary', `stopped the analysis of step ${n} and went on`);
    }
  }

  /**
   * Records the step now running and returns its absolute deadline (for a step of `ms`): the one
   * recorded before a controller restart when this step was running then, so that a pause keeps its end.
   */
  #deadlineOf(index: number, ms: number | undefined): number | undefined {
    const before = this.#resumed?.current;
    const resumed = before && before.index === index ? before : undefined;
    if (resumed) this.#resumed = null;
    const startedAt = resumed?.startedAt ?? Date.now();
    const deadlineAt = ms === undefined ? undefined : (resumed?.deadlineAt ?? startedAt + ms);
    const step = this.#config.steps[index];
    if (resumed && step && 'pause' in step && deadlineAt !== undefined)
      this.ctx.emit('rollout:pause-resumed', { step: index + 1, deadlineAt, remainingMs: Math.max(0, deadlineAt - Date.now()) });
    if (resumed && step && 'analysis' in step)
      this.ctx.emit('analysis:window-restarted', {
        step: index + 1,
        reason:
          'the controller restarted during this analysis: a fresh measurement window starts (measurements before the restart are in the record)',
      });
    this.checkpoint({ current: { index, startedAt, ...(deadlineAt !== undefined ? { deadlineAt } : {}) } });
    return deadlineAt;
  }

  /**
   * Resuming after a controller restart: adopts the canaries of the interrupted run when they are
   * all still healthy, puts the recorded weight back and goes on after the steps done. Returns
   * false to start afresh (nothing recorded, or a canary is gone).
   */
  async #adopt(): Promise<boolean> {
    const resume = this.ctx.resume;
    if (resume?.strategy !== 'canary' || !Array.isArray(resume.canaries) || resume.canaries.length === 0) return false;
    const checkpoint = resume as unknown as CanaryCheckpoint;
    const listed = await this.ctx.backend.instances(this.ctx.plan.service);
    const alive = listed.filter((i) => checkpoint.canaries.includes(i.spec.id) && i.state === 'healthy' && i.inPool);
    if (alive.length !== checkpoint.canaries.length) {
      this.ctx.emit('rollout:resume-refused', { reason: 'a canary of the interrupted run is gone or unhealthy: the canary starts again' });
      return false;
    }
    this.#canaries = [...checkpoint.canaries];
    for (const id of this.#canaries) this.watch.add(id);
    const extra = listed.filter((i) => i.spec.release === this.ctx.plan.release && !this.#canaries.includes(i.spec.id));
    await retireInstances(
      this.ctx,
      extra.map((i) => i.spec.id),
      'started by the interrupted run beyond its canaries',
    );
    this.#stepsDone = checkpoint.stepsDone ?? 0;
    this.#resumed = checkpoint;
    this.ctx.emit('rollout:resumed', { canaries: this.#canaries, weight: checkpoint.weight, stepsDone: this.#stepsDone });
    await this.#setWeight(checkpoint.weight ?? 0, 'resumed after a controller restart: the weight as recorded');
    this.checkpoint({ canaries: this.#canaries, weight: this.#weight, stepsDone: this.#stepsDone });
    return true;
  }

  async #setWeight(percent: number, reason: string): Promise<void> {
    this.#weight = percent;
    this.checkpoint({ weight: percent });
    const weights = buildCanaryWeights(this.stable, this.ctx.plan.release, percent);
    await applyWeights(this.deps.router, this.ctx.plan.service, weights, reason, this.ctx.emit);
  }

  async #holdForBackground(): Promise<void> {
    const hold = this.#backgroundHold;
    if (hold === null) return;
    this.#backgroundHold = null;
    await this.humanGate(`the background analysis was inconclusive: ${hold}`);
  }

  /** Stops the background analysis and judges what it measured: only a fail or an error stops the promotion. */
  async #stopBackground(): Promise<void> {
    const background = this.#background;
    if (background === null) return;
    if (this.#backgroundEnded) return;
    background.stop.abort();
    const result = await background.done;
    if (result === null) return;
    if (result.verdict === 'fail' || result.verdict === 'error') await this.judge('background', result);
  }

  async #promote(): Promise<RolloutResult> {
    const { ctx } = this;
    ctx.emit('rollout:promoting', { release: ctx.plan.release, fromWeight: this.#weight });
    const wanted = ctx.plan.processes.map((plan) => ({
      plan,
      count: plan.processType === this.#routed.processType ? plan.instances - this.#canaries.length : plan.instances,
    }));
    const started = await startInstances(ctx, this.watch, wanted, this.nextSeq);
    const routedIds = new Set(started.filter((i) => i.spec.processType === this.#routed.processType).map((i) => i.spec.id));
    const gate = await gateInstances(ctx, this.control, this.watch, started, routedIds, this.#config.healthTimeoutMs);
    this.failGate(gate);
    if (this.control.aborted) return this.abort();
    await this.#setWeight(100, 'promotion: every new request on the new release');
    if (this.#config.scaleDownDelayMs > 0) {
      ctx.emit('rollout:keeping-warm', { release: this.stable, ms: this.#config.scaleDownDelayMs });
      await this.hold(this.#config.scaleDownDelayMs, 'ended the scale-down delay early');
      if (this.control.aborted) return this.abort();
    }
    return this.retireStable();
  }
}
