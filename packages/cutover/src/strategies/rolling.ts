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
import type { AgentInstance } from '../orchestrator/agent-client.ts';
import { buildInstanceId, type ProcessPlan, type ReleasePlan } from '../orchestrator/release-plan.ts';
import type { WorkloadBackend } from '../orchestrator/workload-backend.ts';
import { InstanceWatch } from './instance-watch.ts';

type RollingConfig = Extract<RolloutConfig, { strategy: 'rolling' }>;

export interface StrategyContext {
  deploymentId: number;
  /** The release to move to. */
  plan: ReleasePlan;
  /** The last good release, restored on failure (null on a first deploy). */
  previous: ReleasePlan | null;
  backend: WorkloadBackend;
  /** Records an event in the deployment and shows it as progress. */
  emit(type: string, data: Record<string, unknown>): void;
  /** Runs between the first new instance joining traffic and the old release's retirement (pre-switch hooks run before). */
  watchIntervalMs?: number;
}

export interface RolloutResult {
  outcome: 'ok' | 'failed';
  reason?: string;
  /** On failure: whether the old release is back at full capacity. */
  restored?: boolean;
  values: Record<string, unknown>;
}

export async function runRolling(ctx: StrategyContext, config: RollingConfig): Promise<RolloutResult> {
  const { plan, backend } = ctx;
  const watch = new InstanceWatch(backend, plan.service, ctx.watchIntervalMs);
  const batches: Record<string, unknown>[] = [];
  let seq = 0;
  watch.start();
  try {
    for (const processPlan of plan.processes) {
      const failure = await rollProcessType(ctx, config, processPlan, watch, batches, () => ++seq);
      if (failure) return await fail(ctx, watch, failure, batches);
    }
    await retireRemovedProcessTypes(ctx);
    if (config.bakeMs > 0) {
      ctx.emit('rollout:baking', { bakeMs: config.bakeMs });
      const failure = await watch.sleep(config.bakeMs);
      if (failure) return await fail(ctx, watch, failure, batches);
    }
    return { outcome: 'ok', values: { batches } };
  } finally {
    watch.stop();
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
        return backend.startInstance({ ...processPlan.template, id }, processPlan.routed);
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
      ctx.emit('instance:retiring', { id: instance.spec.id, release: instance.spec.release });
      drains.push(await backend.stopInstance(instance.spec.id));
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
    ctx.emit('instance:retiring', { id: instance.spec.id, release: instance.spec.release });
    await backend.stopInstance(instance.spec.id);
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

/**
 * Brings the previous release back to full capacity, then drains and stops every instance of the
 * failed release. Returns whether the previous release is fully back.
 */
export async function restorePrevious(ctx: StrategyContext): Promise<boolean> {
  const { backend, plan, previous } = ctx;
  let restored = previous !== null;
  if (previous) {
    ctx.emit('rollout:restoring', { release: previous.release });
    const instances = await backend.instances(plan.service);
    let seq = 1000;
    for (const processPlan of previous.processes) {
      const live = instances.filter(
        (i) =>
          i.spec.release === previous.release &&
          i.spec.processType === processPlan.processType &&
          (i.state === 'healthy' || i.state === 'starting'),
      );
      const missing = processPlan.instances - live.length;
      const started = await Promise.all(
        Array.from({ length: Math.max(0, missing) }, () =>
          backend.startInstance(
            { ...processPlan.template, id: buildInstanceId(previous.release, processPlan.processType, ctx.deploymentId, ++seq) },
            processPlan.routed,
          ),
        ),
      );
      for (const info of [...live, ...started]) {
        const timeoutMs = processPlan.template.health?.startTimeoutMs ?? 60_000;
        const outcome = await backend.waitHealthy(info.spec.id, timeoutMs);
        if (!outcome.healthy) restored = false;
      }
    }
  }
  const leftovers = (await backend.instances(plan.service)).filter(
    (i) => i.spec.release === plan.release && (!previous || previous.release !== plan.release),
  );
  await Promise.all(leftovers.map((i) => backend.stopInstance(i.spec.id).catch(() => undefined)));
  ctx.emit('rollout:restored', { release: previous?.release ?? null, restored, stopped: leftovers.map((i) => i.spec.id) });
  return restored;
}
