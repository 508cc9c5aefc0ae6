/**
 * Rolling strategy, one batch at a time per process type (the routed type first).
 *
 * States and transitions:
 *   starting-batch  → waiting-healthy   new instances of the batch spawned, routed when healthy
 *   waiting-healthy → retiring-old      every new instance passed its health check and joined the pool
 *   retiring-old    → pausing           as many old instances drained and stopped as new ones joined
 *   pausing         → starting-batch    more instances to replace
 *   pausing         → baking            all process types replaced; watch the new release bakeMs
 *   baking          → done
 *   any             → restoring → failed  a new instance never got healthy, crashed, or failed a check:
 *                                       old release back to full capacity, new instances drained and stopped
 *
 * The old release keeps full capacity until the new one proved itself: an old instance is retired
 * only after its replacement is healthy and receiving traffic (surge of batchSize).
 *
 * Every batch is checkpointed (the instances it started, the batches done, the absolute end of a
 * pause or of the bake): a restarted controller adopts the new instances that are healthy, waits on
 * those of the interrupted batch that are still starting (never starting them again), keeps the
 * batches done in its record and ends a pause or the bake at the deadline recorded.
 */

import type { InstanceInfo } from '../agent/supervisor/instance-spec.ts';
import type { RolloutConfig } from '../config/schema-rollout.ts';
import type { AgentInstance } from '../platform/agent-client.ts';
import type { TrafficRouter } from '../platform/traffic-router.ts';
import { buildInstanceId, type ProcessPlan } from '../releases/release-plan.ts';
import { InstanceWatch } from './instance-watch.ts';
import { restorePrevious } from './restore-previous.ts';
import { RolloutControl, UNTIL_PROMOTED } from './rollout-control.ts';
import type { RolloutResult, Strategy, StrategyContext, StrategyDeps } from './strategy.ts';

type RollingConfig = Extract<RolloutConfig, { strategy: 'rolling' }>;

export const rollingStrategy: Strategy<RollingConfig> = {
  name: 'rolling',
  run: (ctx, config, deps) => clearWeights(ctx, deps.router).then(() => runRolling(ctx, config, deps)),
};

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

/**
 * `cutover abort` of a rolling deploy ends whatever it waits for and takes the failure path: the
 * previous release back at full capacity through its health checks, the new instances drained.
 */
export async function runRolling(ctx: StrategyContext, config: RollingConfig, deps?: StrategyDeps): Promise<RolloutResult> {
  const { plan, backend } = ctx;
  const watch = new InstanceWatch(backend, plan.service, ctx.watchIntervalMs);
  const progress = new RollingProgress(ctx);
  const batches = progress.batches;
  const control = deps?.signals
    ? new RolloutControl({ deploymentId: ctx.deploymentId, signals: deps.signals, emit: ctx.emit, pollMs: deps.signalPollMs })
    : null;
  if (control) {
    control.start();
    void control.wait(UNTIL_PROMOTED).then((outcome) => {
      if (outcome.kind === 'aborted') watch.interrupt(outcome.cause.reason);
    });
  }
  watch.start();
  try {
    const result = await rollAll();
    control?.settleAbort(`previous release restored: ${result.restored ? 'fully' : 'INCOMPLETELY'}`);
    return result;
  } finally {
    watch.stop();
    control?.stop('the rolling deploy had already finished');
  }

  async function rollAll(): Promise<RolloutResult> {
    for (const processPlan of plan.processes) {
      const failure = await rollProcessType(ctx, config, processPlan, watch, progress);
      if (failure) return await fail(ctx, watch, failure, progress);
    }
    await retireRemovedProcessTypes(ctx);
    if (config.bakeMs > 0) {
      const until = progress.deadline('bake', config.bakeMs);
      ctx.emit('rollout:baking', { bakeMs: config.bakeMs, until });
      const failure = await watch.sleep(until - Date.now());
      if (failure) return await fail(ctx, watch, failure, progress);
    }
    // The rollout succeeded: the new instances get their restart policy back.
    for (const instance of await backend.instances(plan.service))
      if (instance.spec.release === plan.release) await backend.settle(instance.spec.id).catch(() => undefined);
    return { outcome: 'ok', values: { batches } };
  }
}

/** What a rolling deploy records to be resumed (kept in the record's facts by the controller). */
interface RollingCheckpoint {
  seq: number;
  /** The batches done (the record of each). */
  batches: Record<string, unknown>[];
  /** The batch under way: the instances it started. */
  current?: { processType: string; started: string[] };
  /** A pause between batches or the bake under way, with its absolute end. */
  waiting?: { what: string; until: number };
}

/**
 * A rolling deploy's checkpoint, and what an interrupted run of it had recorded: instance numbers
 * go on past the interrupted run's, the batches it did stay in the record, a pause or the bake it
 * was in keeps its deadline.
 */
class RollingProgress {
  /** Old instances this run has begun to retire (drain, then stop): gone for a restore, even mid-drain. */
  readonly retiring = new Set<string>();
  readonly #ctx: StrategyContext;
  readonly #state: RollingCheckpoint;
  /** The interrupted run's checkpoint (null on a fresh rollout); its parts are used up once. */
  #resumed: Partial<RollingCheckpoint> | null;

  constructor(ctx: StrategyContext) {
    this.#ctx = ctx;
    const resumed = ctx.resume?.strategy === 'rolling' ? (ctx.resume as unknown as Partial<RollingCheckpoint>) : null;
    this.#resumed = resumed;
    this.#state = {
      seq: resumed ? Number(resumed.seq ?? 0) + 100 : 0,
      batches: Array.isArray(resumed?.batches) ? [...resumed.batches] : [],
    };
    if (resumed)
      ctx.emit('rollout:resumed', {
        batchesDone: this.#state.batches.length,
        current: resumed.current ?? null,
        waiting: resumed.waiting ?? null,
      });
  }

  get batches(): Record<string, unknown>[] {
    return this.#state.batches;
  }

  /** The next instance number: recorded with the batch it starts (batchStarted), before any instance of it starts. */
  readonly nextSeq = (): number => ++this.#state.seq;

  /** The instances of the interrupted run's batch of this process type (used once). */
  takeInterruptedBatch(processType: string): string[] {
    const current = this.#resumed?.current;
    if (!current || current.processType !== processType || !Array.isArray(current.started)) return [];
    this.#resumed = { ...this.#resumed, current: undefined };
    return current.started;
  }

  batchStarted(processType: string, started: string[]): void {
    this.#state.current = { processType, started };
    this.#record();
  }

  batchDone(batch: Record<string, unknown>): void {
    this.#state.batches.push(batch);
    this.#state.current = undefined;
    this.#record();
  }

  /**
   * The absolute end of a wait of `ms` named `what` ("pause web" or "bake"): the one the interrupted
   * run recorded when it was in this very wait, else now + ms. Recorded until done() or the next wait.
   */
  deadline(what: string, ms: number): number {
    const recorded = this.#resumed?.waiting;
    let until = Date.now() + ms;
    if (recorded && recorded.what === what && typeof recorded.until === 'number') {
      until = recorded.until;
      this.#ctx.emit('rollout:pause-resumed', { what, deadlineAt: until, remainingMs: Math.max(0, until - Date.now()) });
    }
    if (this.#resumed) this.#resumed = { ...this.#resumed, waiting: undefined };
    this.#state.waiting = { what, until };
    this.#record();
    return until;
  }

  /** The interrupted run was in this wait: it goes on first (before anything else of this process type). */
  interruptedIn(what: string): boolean {
    return this.#resumed?.waiting?.what === what;
  }

  waited(): void {
    this.#state.waiting = undefined;
    this.#record();
  }

  #record(): void {
    this.#ctx.checkpoint?.({ strategy: 'rolling', ...this.#state });
  }
}

async function rollProcessType(
  ctx: StrategyContext,
  config: RollingConfig,
  processPlan: ProcessPlan,
  watch: InstanceWatch,
  progress: RollingProgress,
): Promise<string | null> {
  const { plan, backend } = ctx;
  const type = processPlan.processType;
  const pause = `pause ${type}`;
  const ofType = (all: AgentInstance[]) => all.filter((i) => i.spec.processType === type);
  const current = ofType(await backend.instances(plan.service));
  // Instances of the target release left by an interrupted run count if they are healthy; those of
  // its batch under way (healthy or still starting) finish that batch, never started again.
  const interrupted = new Set(progress.takeInterruptedBatch(type));
  const mine = current.filter((i) => i.spec.release === plan.release);
  let inFlight = mine.filter((i) => interrupted.has(i.spec.id) && (i.state === 'starting' || i.state === 'healthy'));
  const adopted = mine.filter((i) => i.state === 'healthy' && !inFlight.includes(i));
  for (const stale of current.filter((i) => i.spec.release === plan.release && i.state !== 'healthy' && !inFlight.includes(i)))
    await backend.stopInstance(stale.spec.id);
  const old = current.filter((i) => i.spec.release !== plan.release).sort((a, b) => a.startedAt - b.startedAt);
  let ready = adopted.length;
  for (const instance of [...adopted, ...inFlight]) watch.add(instance.spec.id);
  if (progress.interruptedIn(pause)) {
    const failure = await watch.sleep(progress.deadline(pause, config.pauseMs) - Date.now());
    progress.waited();
    if (failure) return failure;
  }

  while (ready < processPlan.instances) {
    const batchStarted = performance.now();
    let started: InstanceInfo[];
    if (inFlight.length > 0) {
      started = inFlight.slice(0, processPlan.instances - ready);
      inFlight = [];
      ctx.emit('batch:resumed', { processType: type, instances: started.map((i) => i.spec.id), release: plan.release });
    } else {
      // With nothing to replace (a first deploy), every instance starts at once: no traffic is at stake.
      const size = old.length === 0 ? processPlan.instances - ready : Math.min(config.batchSize, processPlan.instances - ready);
      ctx.emit('batch:starting', { processType: type, size, release: plan.release });
      const ids = Array.from({ length: size }, () => buildInstanceId(plan.release, type, ctx.deploymentId, progress.nextSeq()));
      progress.batchStarted(type, ids);
      started = await Promise.all(
        ids.map((id) => {
          watch.add(id);
          return backend.startInstance({ ...processPlan.template, id }, processPlan.routed, true);
        }),
      );
    }
    const size = started.length;
    for (const info of started) {
      const outcome = await watch.race(backend.waitHealthy(info.spec.id, config.healthTimeoutMs));
      if ('failed' in outcome) return outcome.failed;
      // The reason says what happened ("not healthy within N ms", "exited with code N"): not said twice.
      if (!outcome.healthy) return `instance ${info.spec.id}: ${outcome.reason}`;
    }
    const joined = processPlan.routed
      ? await verifyInPool(
          ctx,
          watch,
          started.map((s) => s.spec.id),
        )
      : { ok: true as const, joinedPoolMs: [] };
    if (!joined.ok) return joined.reason;
    ready += size;
    const retire = old.splice(0, size);
    const drains = [];
    for (const instance of retire) {
      // A new instance that failed meanwhile stops the rollout here: no further old capacity goes.
      if (watch.failure) return watch.failure;
      ctx.emit('instance:retiring', { id: instance.spec.id, release: instance.spec.release });
      progress.retiring.add(instance.spec.id);
      // The drain may take long; a failure during it is acted on at once (the stop itself goes on).
      const stopping = backend.stopInstance(instance.spec.id);
      stopping.catch(() => undefined); // left running when a failure wins the race
      const stopped = await watch.race(stopping);
      if ('failed' in stopped) return stopped.failed;
      drains.push(stopped);
    }
    const batch = {
      processType: type,
      started: started.map((s) => s.spec.id),
      retired: retire.map((r) => r.spec.id),
      joinedPoolMs: joined.joinedPoolMs,
      drains: drains.map((d) => d.drain),
      durationMs: Math.round(performance.now() - batchStarted),
    };
    progress.batchDone(batch);
    ctx.emit('batch:done', batch);
    if (watch.failure) return watch.failure;
    if (config.pauseMs > 0 && (ready < processPlan.instances || old.length > 0)) {
      const until = progress.deadline(pause, config.pauseMs);
      ctx.emit('rollout:pausing', { pauseMs: config.pauseMs, until });
      const failure = await watch.sleep(until - Date.now());
      progress.waited();
      if (failure) return failure;
    }
  }
  for (const instance of old) {
    if (watch.failure) return watch.failure;
    ctx.emit('instance:retiring', { id: instance.spec.id, release: instance.spec.release });
    progress.retiring.add(instance.spec.id);
    const stopping = backend.stopInstance(instance.spec.id);
    stopping.catch(() => undefined);
    const stopped = await watch.race(stopping);
    if ('failed' in stopped) return stopped.failed;
  }
  return watch.failure;
}

/** Confirms the agent has the new instances in the traffic pool (they join on their health event). */
async function verifyInPool(
  ctx: StrategyContext,
  watch: InstanceWatch,
  ids: string[],
): Promise<{ ok: true; joinedPoolMs: (number | null)[] } | { ok: false; reason: string }> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const instances = await ctx.backend.instances(ctx.plan.service);
    const mine = ids.map((id) => instances.find((i) => i.spec.id === id));
    if (mine.every((i) => i?.inPool)) return { ok: true, joinedPoolMs: mine.map((i) => i?.joinedPoolMs ?? null) };
    const failure = await watch.sleep(20);
    if (failure) return { ok: false, reason: failure };
  }
  return { ok: false, reason: `instances ${ids.join(', ')} were healthy but did not join the traffic pool within 5 s` };
}

/** Stops instances of process types that the new release no longer declares. */
async function retireRemovedProcessTypes(ctx: StrategyContext): Promise<void> {
  const types = new Set(ctx.plan.processes.map((p) => p.processType));
  for (const instance of await ctx.backend.instances(ctx.plan.service)) {
    if (!types.has(instance.spec.processType)) {
      ctx.emit('instance:retiring', { id: instance.spec.id, release: instance.spec.release, reason: 'process type removed' });
      await ctx.backend.stopInstance(instance.spec.id);
    }
  }
}

async function fail(ctx: StrategyContext, watch: InstanceWatch, reason: string, progress: RollingProgress): Promise<RolloutResult> {
  watch.stop();
  ctx.emit('rollout:failed', { reason });
  const restored = await restorePrevious(ctx, { retiring: progress.retiring });
  return { outcome: 'failed', reason, restored, values: { batches: progress.batches, restored } };
}
