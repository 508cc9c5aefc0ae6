/**
 * Blue-green strategy: the full new set (green) starts beside the serving one (blue), proves itself
 * without user traffic, then takes every new request in one call; blue stays running, out of
 * selection, so that switching back is one call too.
 *
 * States and transitions:
 *   pinning      → starting       weights {blue: 100}; leftovers of an interrupted deployment stopped
 *   starting     → checking       every process type of green started and healthy; its routed
 *                                 instances are in the pool without a share (only a forced release reaches them)
 *   checking     → gated          smoke checks passed on each green instance's private port, then the
 *                                 pre-promotion analysis (if any) passed
 *   gated        → switched       autoPromote, or cutover promote: weights {green: 100}, one call
 *   switched     → keeping-warm   the post-promotion analysis (if any) passed
 *   keeping-warm → retiring       scaleDownDelayMs elapsed: blue drains and stops; weights cleared
 *   retiring     → done
 *   any but retiring → aborting → failed   a failed smoke check or verdict, cutover abort, a failed green
 *                                          instance, Ctrl-C: weights {blue: 100} (a no-op before the switch),
 *                                          green drained and stopped
 */

import type { BlueGreenConfig } from '../config/schema-rollout.ts';
import { GuardedRollout } from './guarded-rollout.ts';
import { fallBackToRolling, gateInstances, retireInstances, startInstances } from './release-set.ts';
import { runSmokeChecks, type SmokeResult } from './smoke-checks.ts';
import type { RolloutResult, Strategy, StrategyContext, StrategyDeps } from './strategy.ts';
import { applyWeights } from './traffic-weights.ts';

export const blueGreenStrategy: Strategy<BlueGreenConfig> = { name: 'blueGreen', run: runBlueGreen };

async function runBlueGreen(ctx: StrategyContext, config: BlueGreenConfig, deps: StrategyDeps): Promise<RolloutResult> {
  const routed = ctx.plan.processes.find((p) => p.routed && p.instances > 0);
  const blue = ctx.previous?.release ?? null;
  const serving = (await ctx.backend.instances(ctx.plan.service)).some((i) => i.spec.release === blue && i.inPool);
  if (!routed) return fallBackToRolling(ctx, deps.router, config.healthTimeoutMs, 'no routed process type: no traffic to switch');
  if (blue === null || blue === ctx.plan.release || !serving)
    return fallBackToRolling(ctx, deps.router, config.healthTimeoutMs, 'no other release serves: nothing to switch from');
  return new BlueGreenRollout(ctx, config, deps, blue).run();
}

class BlueGreenRollout extends GuardedRollout {
  protected readonly strategyName = 'blueGreen';
  readonly #config: BlueGreenConfig;
  #green: string[] = [];
  #smoke: SmokeResult[] = [];
  #switchedAt: number | null = null;

  constructor(ctx: StrategyContext, config: BlueGreenConfig, deps: StrategyDeps, blue: string) {
    super(ctx, deps, blue, config.onInconclusive);
    this.#config = config;
  }

  protected values(): Record<string, unknown> {
    return { strategy: 'blueGreen', blue: this.stable, green: this.#green, smokeChecks: this.#smoke, switchedAt: this.#switchedAt };
  }

  protected async body(): Promise<RolloutResult> {
    const { ctx } = this;
    const service = ctx.plan.service;
    const green = ctx.plan.release;
    await applyWeights(this.deps.router, service, { [this.stable]: 100 }, 'blue keeps every request while green starts', ctx.emit);
    const leftovers = (await ctx.backend.instances(service)).filter((i) => i.spec.release !== this.stable);
    await retireInstances(
      ctx,
      leftovers.map((i) => i.spec.id),
      'left by an interrupted deployment',
    );

    ctx.emit('rollout:green-starting', {
      release: green,
      processes: ctx.plan.processes.map((p) => ({ type: p.processType, instances: p.instances })),
    });
    const started = await startInstances(
      ctx,
      this.watch,
      ctx.plan.processes.map((plan) => ({ plan, count: plan.instances })),
      this.nextSeq,
    );
    this.#green = started.map((info) => info.spec.id);
    const routedIds = new Set(
      started.filter((info) => ctx.plan.processes.find((p) => p.processType === info.spec.processType)?.routed).map((i) => i.spec.id),
    );
    this.failGate(await gateInstances(ctx, this.control, this.watch, started, routedIds, this.#config.healthTimeoutMs));
    if (this.control.aborted) return this.abort();

    if (this.#config.smokeChecks.length > 0) {
      const listed = await ctx.backend.instances(service);
      const targets = listed
        .filter((i) => routedIds.has(i.spec.id) && i.port !== null)
        .map((i) => ({ id: i.spec.id, port: i.port as number }));
      const outcome = await this.control.wait(runSmokeChecks(this.#config.smokeChecks, targets));
      if (outcome.kind === 'done') {
        this.#smoke = outcome.value;
        for (const result of outcome.value) ctx.emit('smoke:result', { ...result });
        const failed = outcome.value.filter((r) => r.outcome === 'fail');
        if (failed.length > 0)
          this.control.abort({
            by: 'smoke',
            reason: `${failed.length} of ${outcome.value.length} smoke checks failed, traffic was not switched: ${failed[0].check} on ${failed[0].instance}: ${failed[0].message}`,
          });
      }
      if (this.control.aborted) return this.abort();
    }
    if (this.#config.prePromotionAnalysis) {
      await this.analysisGate('pre-promotion', this.#config.prePromotionAnalysis, 'green');
      if (this.control.aborted) return this.abort();
    }
    if (!this.#config.autoPromote) {
      await this.humanGate(`green ${green} is ready; autoPromote is off`);
      if (this.control.aborted) return this.abort();
    }

    await applyWeights(this.deps.router, service, { [green]: 100 }, `switch: every new request on green ${green}`, ctx.emit);
    this.#switchedAt = Date.now();
    ctx.emit('rollout:switched', { from: this.stable, to: green });
    if (this.#config.postPromotionAnalysis) {
      await this.analysisGate('post-promotion', this.#config.postPromotionAnalysis, 'green');
      if (this.control.aborted) return this.abort();
    }
    if (this.#config.scaleDownDelayMs > 0) {
      ctx.emit('rollout:keeping-warm', { release: this.stable, ms: this.#config.scaleDownDelayMs });
      await this.hold(this.#config.scaleDownDelayMs, 'ended the scale-down delay early');
      if (this.control.aborted) return this.abort();
    }
    return this.retireStable();
  }
}
