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
 *
 * Every state is checkpointed (green's instances, the phase reached, the scale-down deadline): a
 * restarted controller adopts green when all of it is still healthy and goes on from the phase
 * recorded (checks that had passed are not run again, the scale-down delay keeps its absolute end).
 * A green instance gone before the switch starts green again; after it, blue takes traffic back.
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
  // A resumed rollout that had switched may find blue out of the pool (it was being retired): it goes on.
  const resuming = ctx.resume?.strategy === 'blueGreen' && Array.isArray(ctx.resume.green);
  if (blue === null || blue === ctx.plan.release || (!serving && !resuming))
    return fallBackToRolling(ctx, deps.router, config.healthTimeoutMs, 'no other release serves: nothing to switch from');
  return new BlueGreenRollout(ctx, config, deps, blue).run();
}

/** The phases of a blue-green rollout, in order: what a checkpoint says was reached. */
const PHASES = ['started', 'checked', 'switched', 'post-checked', 'keeping-warm'] as const;
type Phase = (typeof PHASES)[number];

/** What a blue-green rollout records to be resumed. */
interface BlueGreenCheckpoint {
  green: string[];
  phase: Phase;
  smokeChecks?: SmokeResult[];
  switchedAt?: number | null;
  /** The absolute end of the scale-down delay (blue kept warm until then). */
  keepWarmUntil?: number;
}

class BlueGreenRollout extends GuardedRollout {
  protected readonly strategyName = 'blueGreen';
  readonly #config: BlueGreenConfig;
  #green: string[] = [];
  #smoke: SmokeResult[] = [];
  #switchedAt: number | null = null;
  #phase: Phase | null = null;

  constructor(ctx: StrategyContext, config: BlueGreenConfig, deps: StrategyDeps, blue: string) {
    super(ctx, deps, blue, config.onInconclusive);
    this.#config = config;
  }

  protected values(): Record<string, unknown> {
    return { strategy: 'blueGreen', blue: this.stable, green: this.#green, smokeChecks: this.#smoke, switchedAt: this.#switchedAt };
  }

  /** Whether the rollout had reached `phase` (when resumed, the checkpoint says how far it got). */
  #reached(phase: Phase): boolean {
    return this.#phase !== null && PHASES.indexOf(this.#phase) >= PHASES.indexOf(phase);
  }

  #enter(phase: Phase, state: Partial<BlueGreenCheckpoint> = {}): void {
    this.#phase = phase;
    this.checkpoint({ ...state, phase });
  }

  protected async body(): Promise<RolloutResult> {
    const { ctx } = this;
    const service = ctx.plan.service;
    const green = ctx.plan.release;
    const resumed = await this.#adopt();
    if (this.control.aborted) return this.abort();
    if (!resumed) {
      await this.#startGreen();
      if (this.control.aborted) return this.abort();
    }

    if (!this.#reached('checked')) {
      await this.#preSwitchChecks(resumed);
      if (this.control.aborted) return this.abort();
      this.#enter('checked', { smokeChecks: this.#smoke });
    }
    if (!this.#reached('switched')) {
      if (!this.#config.autoPromote) {
        await this.humanGate(`green ${green} is ready; autoPromote is off`);
        if (this.control.aborted) return this.abort();
      }
      await applyWeights(this.deps.router, service, { [green]: 100 }, `switch: every new request on green ${green}`, ctx.emit);
      this.#switchedAt = Date.now();
      this.#enter('switched', { switchedAt: this.#switchedAt });
      ctx.emit('rollout:switched', { from: this.stable, to: green });
    } else {
      await applyWeights(
        this.deps.router,
        service,
        { [green]: 100 },
        'resumed after a controller restart: green keeps every request',
        ctx.emit,
      );
    }
    if (!this.#reached('post-checked')) {
      if (this.#config.postPromotionAnalysis) {
        if (resumed) this.#windowRestarted('post-promotion');
        await this.analysisGate('post-promotion', this.#config.postPromotionAnalysis, 'green');
        if (this.control.aborted) return this.abort();
      }
      this.#enter('post-checked');
    }
    if (this.#config.scaleDownDelayMs > 0) {
      const recorded = (ctx.resume as Partial<BlueGreenCheckpoint> | null | undefined)?.keepWarmUntil;
      const until = resumed && typeof recorded === 'number' ? recorded : Date.now() + this.#config.scaleDownDelayMs;
      this.#enter('keeping-warm', { keepWarmUntil: until });
      const remainingMs = Math.max(0, until - Date.now());
      if (resumed && typeof recorded === 'number')
        ctx.emit('rollout:pause-resumed', { what: 'scale-down delay', deadlineAt: until, remainingMs });
      ctx.emit('rollout:keeping-warm', { release: this.stable, ms: this.#config.scaleDownDelayMs, until, remainingMs });
      await this.hold(remainingMs, 'ended the scale-down delay early');
      if (this.control.aborted) return this.abort();
    }
    return this.retireStable();
  }

  /** Blue pinned, leftovers of an interrupted deployment stopped, green started and health-gated. */
  async #startGreen(): Promise<void> {
    const { ctx } = this;
    const service = ctx.plan.service;
    await applyWeights(this.deps.router, service, { [this.stable]: 100 }, 'blue keeps every request while green starts', ctx.emit);
    const leftovers = (await ctx.backend.instances(service)).filter((i) => i.spec.release !== this.stable);
    await retireInstances(
      ctx,
      leftovers.map((i) => i.spec.id),
      'left by an interrupted deployment',
    );
    ctx.emit('rollout:green-starting', {
      release: ctx.plan.release,
      processes: ctx.plan.processes.map((p) => ({ type: p.processType, instances: p.instances })),
    });
    const started = await startInstances(
      ctx,
      this.watch,
      ctx.plan.processes.map((plan) => ({ plan, count: plan.instances })),
      this.nextSeq,
    );
    this.#green = started.map((info) => info.spec.id);
    this.checkpoint({ green: this.#green });
    const routedIds = new Set(started.filter((info) => this.#isRouted(info.spec.processType)).map((i) => i.spec.id));
    this.failGate(await gateInstances(ctx, this.control, this.watch, started, routedIds, this.#config.healthTimeoutMs));
    if (!this.control.aborted) this.#enter('started', { green: this.#green });
  }

  #isRouted(processType: string): boolean {
    return this.ctx.plan.processes.find((p) => p.processType === processType)?.routed ?? false;
  }

  /** Smoke checks on each routed green instance's own port, then the pre-promotion analysis. */
  async #preSwitchChecks(resumed: boolean): Promise<void> {
    const { ctx } = this;
    if (this.#config.smokeChecks.length > 0) {
      const listed = await ctx.backend.instances(ctx.plan.service);
      const targets = listed
        .filter((i) => this.#green.includes(i.spec.id) && this.#isRouted(i.spec.processType) && i.port !== null)
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
      if (this.control.aborted) return;
    }
    if (this.#config.prePromotionAnalysis) {
      if (resumed) this.#windowRestarted('pre-promotion');
      await this.analysisGate('pre-promotion', this.#config.prePromotionAnalysis, 'green');
    }
  }

  #windowRestarted(analysis: string): void {
    this.ctx.emit('analysis:window-restarted', {
      analysis,
      reason: 'the controller restarted before this analysis had a verdict: a fresh measurement window starts',
    });
  }

  /**
   * Resuming after a controller restart: adopts green when every instance of it the interrupted run
   * started is still there (healthy; or still starting when the run was killed in green's health gate,
   * which then goes on), and goes on from the phase recorded. Green gone before the switch: it starts
   * again (false). Gone after the switch: blue takes traffic back (an abort).
   */
  async #adopt(): Promise<boolean> {
    const resume = this.ctx.resume as (Partial<BlueGreenCheckpoint> & { strategy: string }) | null | undefined;
    if (resume?.strategy !== 'blueGreen' || !Array.isArray(resume.green) || resume.green.length === 0) return false;
    const green = resume.green;
    const phase = resume.phase ?? null;
    const listed = await this.ctx.backend.instances(this.ctx.plan.service);
    const mine = listed.filter((i) => green.includes(i.spec.id));
    const alive = mine.filter((i) =>
      phase === null
        ? i.state === 'healthy' || i.state === 'starting'
        : i.state === 'healthy' && (i.inPool || !this.#isRouted(i.spec.processType)),
    );
    const switched = phase !== null && PHASES.indexOf(phase) >= PHASES.indexOf('switched');
    if (alive.length !== green.length) {
      this.ctx.emit('rollout:resume-refused', {
        reason: switched
          ? 'an instance of green is gone or unhealthy after the switch: blue takes every request back'
          : 'an instance of green is gone or unhealthy: green starts again',
      });
      if (!switched) return false;
      this.#green = [...green];
      this.control.abort({ by: 'watch', reason: 'green lost an instance while the controller was restarting' });
      return true;
    }
    this.#green = [...green];
    for (const id of green) this.watch.add(id);
    this.#smoke = resume.smokeChecks ?? [];
    this.#switchedAt = resume.switchedAt ?? null;
    this.#phase = phase;
    this.ctx.emit('rollout:resumed', { green, phase, ...(resume.keepWarmUntil ? { keepWarmUntil: resume.keepWarmUntil } : {}) });
    this.checkpoint({
      green,
      phase: phase ?? undefined,
      smokeChecks: this.#smoke,
      switchedAt: this.#switchedAt,
      keepWarmUntil: resume.keepWarmUntil,
    });
    if (!switched)
      await applyWeights(
        this.deps.router,
        this.ctx.plan.service,
        { [this.stable]: 100 },
        'resumed: blue keeps every request until the switch',
        this.ctx.emit,
      );
    if (phase === null) {
      // Killed while green was being health-gated: the gate goes on for the same instances.
      const routedIds = new Set(mine.filter((i) => this.#isRouted(i.spec.processType)).map((i) => i.spec.id));
      this.failGate(await gateInstances(this.ctx, this.control, this.watch, mine, routedIds, this.#config.healthTimeoutMs));
      if (!this.control.aborted) this.#enter('started', { green: this.#green });
    }
    return true;
  }
}
