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
 */

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
  const batches: Record<string, unknown>[] = [];
  let seq = ctx.resume?.strategy === 'rolling' ? Number(ctx.resume.seq ?? 0) + 100 : 0;
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
      const failure = await rollProcessType(ctx, config, processPlan, watch, batches, () => {
        ctx.checkpoint?.({ strategy: 'rolling', seq: ++seq });
        return seq;
      });
      if (failure) return await fail(ctx, watch, failure, batches);
    }
    await retireRemovedProcessTypes(ctx);
    if (config.bakeMs > 0) {
      ctx.emit('rollout:baking', { bakeMs: config.bakeMs });
      const failure = await watch.sleep(config.bakeMs);
      if (failure) return await fail(ctx, watch, failure, batches);
    }
    // The rollout succeeded: the new instances get their restart policy back.
    for (const instance of await backend.instances(plan.service))
      if (instance.spec.release === plan.release) await backend.settle(instance.spec.id).catch(() => undefined);
    return { outcome: 'ok', values: { batches } };
  }
}

async function rollProcessType(
  ctx: StrategyContext,
  config: RollingConfig,
  processPlan: ProcessPlan,
  watch: InstanceWatch,
  batches: Record<string, unknown>[],
  nextSeq: () => number,
): Promise<string | null> {
  const { plan, backend } = ctx;
  const ofType = (all: AgentInstance[]) => all.filter((i) => i.spec.processType === processPlan.processType);
  const current = ofType(await backend.instances(plan.service));
  // Instances of the target release left by an interrupted deployment count if they are healthy.
  const adopted = current.filter((i) => i.spec.release === plan.release && i.state === 'healthy');
  for (const stale of current.filter((i) => i.spec.release === plan.release && i.state !== 'healthy'))
    await backend.stopInstance(stale.spec.id);
  const old = current.filter((i) => i.spec.release !== plan.release).sort((a, b) => a.startedAt - b.startedAt);
  let ready = adopted.length;
  for (const instance of adopted) watch.add(instance.spec.id);

  while (ready < processPlan.instances) {
    // With nothing to replace (a first deploy), every instance starts at once: no traffic is at stake.
    const size = old.length === 0 ? processPlan.instances - ready : Math.min(config.batchSize, processPlan.instances - ready);
    const batchStarted = performance.now();
    ctx.emit('batch:starting', { processType: processPlan.processType, size, release: plan.release });
    const started = await Promise.all(
      Array.from({ length: size }, async () => {
        const id = buildInstanceId(plan.release, processPlan.processType, ctx.deploymentId, nextSeq());
        watch.add(id);
        return backend.startInstance({ ...processPlan.template, id }, processPlan.routed, true);
      }),
    );
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
      // The drain may take long; a failure during it is acted on at once (the stop itself goes on).
      const stopping = backend.stopInstance(instance.spec.id);
      stopping.catch(() => undefined); // left running when a failure wins the race
      const stopped = await watch.race(stopping);
      if ('failed' in stopped) return stopped.failed;
      drains.push(stopped);
    }
    const batch = {
      processType: processPlan.processType,
      started: started.map((s) => s.spec.id),
      retired: retire.map((r) => r.spec.id),
      joinedPoolMs: joined.joinedPoolMs,
      drains: drains.map((d) => d.drain),
      durationMs: Math.round(performance.now() - batchStarted),
    };
    batches.push(batch);
    ctx.emit('batch:done', batch);
    if (watch.failure) return watch.failure;
    if (config.pauseMs > 0 && (ready < processPlan.instances || old.length > 0)) {
      ctx.emit('rollout:pausing', { pauseMs: config.pauseMs });
      const failure = await watch.sleep(config.pauseMs);
      if (failure) return failure;
    }
  }
  for (const instance of old) {
    if (watch.failure) return watch.failure;
    ctx.emit('instance:retiring', { id: instance.spec.id, release: instance.spec.release });
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

async function fail(
  ctx: StrategyContext,
  watch: InstanceWatch,
  reason: string,
  batches: Record<string, unknown>[],
): Promise<RolloutResult> {
  watch.stop();
  ctx.emit('rollout:failed', { reason });
  const restored = await restorePrevious(ctx);
  return { outcome: 'failed', reason, restored, values: { batches, restored } };
}
