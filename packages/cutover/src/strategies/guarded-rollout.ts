import type { AnalysisResult } from '../analysis/analysis-result.ts';
import { summarizeVerdict } from '../analysis/summarize-verdict.ts';
import type { AnalysisDefinition } from '../config/schema-analysis.ts';
import type { OnInconclusive } from '../config/schema-rollout.ts';
import { errorText } from '../shared/error-text.ts';
import { type AnalysisGateDeps, decideVerdict, runAnalysisGate } from './analysis-gate.ts';
import { InstanceWatch } from './instance-watch.ts';
import { type GateOutcome, retireInstances, returnToStable, settleNewRelease } from './release-set.ts';
import { restorePrevious } from './restore-previous.ts';
import { type AbortCause, RolloutControl, UNTIL_PROMOTED } from './rollout-control.ts';
import type { RolloutResult, StrategyContext, StrategyDeps } from './strategy.ts';
import { applyWeights } from './traffic-weights.ts';

export interface VerdictNote {
  analysis: string;
  verdict: AnalysisResult['verdict'];
  summary: string;
}

/**
 * What the canary and blue-green strategies share: a stable release that keeps full capacity, new
 * instances under an InstanceWatch, a RolloutControl for signals and aborts, analyses whose
 * verdicts decide, and one abort path (traffic back to stable in one call, then the new release
 * drained and stopped). Subclasses hold the sequence of their states.
 */
export abstract class GuardedRollout {
  readonly ctx: StrategyContext;
  readonly deps: StrategyDeps;
  /** The release serving before this rollout, kept at full capacity until the end. */
  readonly stable: string;
  readonly control: RolloutControl;
  readonly watch: InstanceWatch;
  readonly verdicts: VerdictNote[] = [];
  readonly #onInconclusive: OnInconclusive;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #analyses = new Set<AbortController>();
  #seq: number;
  /** What this rollout recorded last as its checkpoint (see checkpoint()). */
  #checkpoint: Record<string, unknown> = {};

  constructor(ctx: StrategyContext, deps: StrategyDeps, stable: string, onInconclusive: OnInconclusive) {
    this.ctx = ctx;
    this.deps = deps;
    this.stable = stable;
    this.#onInconclusive = onInconclusive;
    // A resumed rollout numbers its new instances past the interrupted run's (same deployment id).
    this.#seq = ctx.resume ? Number(ctx.resume.seq ?? 0) + 100 : 0;
    this.watch = new InstanceWatch(ctx.backend, ctx.plan.service, ctx.watchIntervalMs);
    this.control = new RolloutControl({
      deploymentId: ctx.deploymentId,
      signals: deps.signals,
      emit: ctx.emit,
      pollMs: deps.signalPollMs,
      abortOnSigint: deps.abortOnSigint,
    });
  }

  readonly nextSeq = (): number => {
    this.#seq++;
    this.checkpoint({});
    return this.#seq;
  };

  /** Merges `state` into the rollout's checkpoint and records it (a restarted controller resumes from it). */
  checkpoint(state: Record<string, unknown>): void {
    this.#checkpoint = { ...this.#checkpoint, ...state, seq: this.#seq };
    this.ctx.checkpoint?.({ strategy: this.strategyName, ...this.#checkpoint });
  }

  /** The name a checkpoint is recorded under. */
  protected abstract readonly strategyName: string;

  /** The rollout's sequence; returns its result. */
  protected abstract body(): Promise<RolloutResult>;

  /** What the record keeps of this rollout (merged into every result). */
  protected abstract values(): Record<string, unknown>;

  /** Runs the body with the watch and the control live; an unexpected error aborts like a failed check. */
  async run(): Promise<RolloutResult> {
    this.control.start();
    this.watch.start();
    void this.watch.race(UNTIL_PROMOTED).then((outcome) => {
      if ('failed' in outcome) this.control.abort({ by: 'watch', reason: outcome.failed });
    });
    try {
      return await this.body();
    } catch (error) {
      if (this.control.aborted === null) this.control.abort({ by: 'watch', reason: `the rollout failed: ${errorText(error)}` });
      return await this.abort();
    } finally {
      this.watch.stop();
      for (const timer of this.#timers) clearTimeout(timer);
      for (const analysis of this.#analyses) analysis.abort();
      this.control.stop('the rollout had already finished');
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  /** Turns a failed gate into an abort (the watch's or the gate's reason). */
  failGate(gate: GateOutcome): void {
    if (gate.ok) return;
    if ('aborted' in gate) return;
    this.control.abort({ by: 'watch', reason: gate.reason });
  }

  /** Starts an analysis; its verdict is judged when it ends (see judge). Returns how to stop it. */
  startAnalysis(
    label: string,
    definition: AnalysisDefinition,
    releaseLabel: string,
  ): { done: Promise<AnalysisResult | null>; stop: AbortController } {
    const stop = new AbortController();
    this.#analyses.add(stop);
    const gateDeps: AnalysisGateDeps = {
      router: this.deps.router,
      service: this.ctx.plan.service,
      cwd: this.deps.cwd,
      emit: this.ctx.emit,
    };
    const target = { release: this.ctx.plan.release, baseline: this.stable, releaseLabel };
    const done = runAnalysisGate(gateDeps, label, definition, target, stop.signal).then(
      (result) => {
        this.#analyses.delete(stop);
        this.verdicts.push({ analysis: label, verdict: result.verdict, summary: summarizeVerdict(result) });
        return result;
      },
      (error: unknown) => {
        this.#analyses.delete(stop);
        this.control.abort({ by: 'analysis', reason: `analysis ${label} could not run: ${errorText(error)}` });
        return null;
      },
    );
    return { done, stop };
  }

  /**
   * Runs an analysis and blocks until its verdict: pass goes on, fail/error aborts, inconclusive
   * follows onInconclusive (a pause waits for a human). With `promotable`, a promote stops it and goes on.
   */
  async analysisGate(label: string, definition: AnalysisDefinition, releaseLabel: string, promotable?: string): Promise<void> {
    const analysis = this.startAnalysis(label, definition, releaseLabel);
    const outcome = await this.control.wait(analysis.done, promotable);
    if (outcome.kind !== 'done') {
      analysis.stop.abort();
      await analysis.done;
      return;
    }
    if (outcome.value !== null) await this.judge(label, outcome.value);
  }

  /** Acts on a verdict: abort, wait for a human, or nothing. */
  async judge(label: string, result: AnalysisResult): Promise<void> {
    const decision = decideVerdict(result.verdict, this.#onInconclusive);
    if (decision === 'abort') {
      this.control.abort({ by: 'analysis', reason: `analysis ${label}: ${summarizeVerdict(result)}` });
    } else if (decision === 'pause') {
      await this.humanGate(`analysis ${label} was inconclusive: ${summarizeVerdict(result)}`);
    }
  }

  /**
   * Waits for `cutover promote` (go on) or `cutover abort`. With a timeout, a gate nobody answers
   * by `deadlineAt` (absolute, so that a restart keeps it) aborts or goes on as `onTimeout` says.
   */
  async humanGate(why: string, timeout?: { deadlineAt: number; timeoutMs: number; onTimeout: 'abort' | 'promote' }): Promise<void> {
    this.ctx.emit('rollout:paused', {
      reason: why,
      waitingFor: timeout
        ? `"cutover promote" to go on, "cutover abort" to abort; after ${timeout.timeoutMs} ms: ${timeout.onTimeout}`
        : '"cutover promote" to go on, "cutover abort" to abort',
      ...(timeout ? { deadlineAt: timeout.deadlineAt, onTimeout: timeout.onTimeout } : {}),
    });
    const work = timeout ? this.sleep(Math.max(0, timeout.deadlineAt - Date.now())) : UNTIL_PROMOTED;
    const outcome = await this.control.wait(work, `went on after: ${why}`);
    if (outcome.kind !== 'done' || !timeout) return;
    this.ctx.emit('rollout:gate-timeout', { reason: why, timeoutMs: timeout.timeoutMs, onTimeout: timeout.onTimeout, atMs: Date.now() });
    if (timeout.onTimeout === 'abort')
      this.control.abort({ by: 'timeout', reason: `nobody promoted within ${timeout.timeoutMs} ms (${why}); onTimeout: abort` });
  }

  /** Resolves when `ms` elapsed, a promote ends it early (`promotable`), or the rollout aborts. */
  async hold(ms: number, promotable: string): Promise<void> {
    await this.control.wait(this.sleep(ms), promotable);
  }

  /** The abort path: stable takes every new request at once, then the new release goes. */
  async abort(): Promise<RolloutResult> {
    const cause = this.control.aborted as AbortCause;
    for (const analysis of this.#analyses) analysis.abort();
    this.watch.stop();
    let switchedAtMs = 0;
    const back = await returnToStable(this.ctx, this.deps.router, this.stable, `abort: ${cause.reason}`, (switchMs) => {
      switchedAtMs = Date.now();
      this.control.settleAbort(`all traffic back on ${this.stable} (weights switched in ${switchMs} ms)`);
    });
    // Two different durations: until every new request went to stable, and until the new release had drained and stopped.
    const abortToSwitchMs = switchedAtMs - cause.atMs;
    const abortToDrainedMs = Date.now() - cause.atMs;
    this.ctx.emit('rollout:aborted', {
      by: cause.by,
      reason: cause.reason,
      stable: this.stable,
      switchMs: back.switchMs,
      abortToSwitchMs,
      abortToDrainedMs,
    });
    return {
      outcome: 'failed',
      reason: cause.reason,
      restored: back.restored,
      values: { ...this.values(), abortedBy: cause.by, switchMs: back.switchMs, toppedUpStable: back.toppedUp, verdicts: this.verdicts },
    };
  }

  /**
   * The end of a promotion: the old release drains and stops, the weights are cleared. From here
   * an abort can no longer switch back at once, so it is refused. A new instance failing now
   * brings the old release back (it is gone from the pool).
   */
  async retireStable(): Promise<RolloutResult> {
    this.control.finishing(`the old release ${this.stable} is being retired`);
    if (this.control.aborted) return this.abort();
    const old = (await this.ctx.backend.instances(this.ctx.plan.service)).filter((i) => i.spec.release !== this.ctx.plan.release);
    await retireInstances(
      this.ctx,
      old.map((i) => i.spec.id),
      `promoted: ${this.ctx.plan.release} serves, ${this.stable} retires`,
    );
    await applyWeights(this.deps.router, this.ctx.plan.service, null, 'promotion done: traffic spread over the new release', this.ctx.emit);
    const failure = this.watch.failure;
    if (failure !== null) {
      const restored = await restorePrevious(this.ctx);
      return { outcome: 'failed', reason: failure, restored, values: { ...this.values(), verdicts: this.verdicts } };
    }
    await settleNewRelease(this.ctx);
    return { outcome: 'ok', values: { ...this.values(), verdicts: this.verdicts } };
  }
}
