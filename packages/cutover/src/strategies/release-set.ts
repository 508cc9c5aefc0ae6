import type { InstanceInfo } from '../agent/supervisor/process-supervisor.ts';
import type { RollingConfig } from '../config/schema-rollout.ts';
import type { TrafficRouter } from '../platform/traffic-router.ts';
import { buildInstanceId, type ProcessPlan } from '../releases/release-plan.ts';
import type { InstanceWatch } from './instance-watch.ts';
import { restorePrevious } from './restore-previous.ts';
import { runRolling } from './rolling.ts';
import type { AbortCause, RolloutControl } from './rollout-control.ts';
import type { RolloutResult, StrategyContext } from './strategy.ts';
import { applyWeights } from './traffic-weights.ts';

/** How long healthy instances may take to show up in the proxy pool (they join on their health event). */
export const JOIN_POOL_TIMEOUT_MS = 5000;

/** The outcome of a wait that an abort can cut short. */
export type GateOutcome = { ok: true } | { ok: false; reason: string } | { ok: false; aborted: AbortCause };

/**
 * Starts `count` new instances of each process plan, watched; routed ones join the pool when healthy.
 * They start as rollout instances: one that crashes, exits or loses its health check is failed by
 * the agent at once (out of the pool, never restarted into traffic) until settleNewRelease().
 */
export async function startInstances(
  ctx: StrategyContext,
  watch: InstanceWatch,
  wanted: readonly { plan: ProcessPlan; count: number }[],
  nextSeq: () => number,
): Promise<InstanceInfo[]> {
  const starts = wanted.flatMap(({ plan, count }) =>
    Array.from({ length: Math.max(0, count) }, async () => {
      const id = buildInstanceId(ctx.plan.release, plan.processType, ctx.deploymentId, nextSeq());
      const info = await ctx.backend.startInstance({ ...plan.template, id }, plan.routed, true);
      // Watched once the agent knows it (before, the watch would take it for gone); a crash
      // meanwhile still shows in its restarts and state at the next look.
      watch.add(id);
      return info;
    }),
  );
  return Promise.all(starts);
}

/** Waits until every instance passed its health check and the routed ones are in the proxy pool. */
export async function gateInstances(
  ctx: StrategyContext,
  control: RolloutControl,
  watch: InstanceWatch,
  started: readonly InstanceInfo[],
  routedIds: ReadonlySet<string>,
  healthTimeoutMs: number,
): Promise<GateOutcome> {
  for (const info of started) {
    const outcome = await control.wait(watch.race(ctx.backend.waitHealthy(info.spec.id, healthTimeoutMs)));
    if (outcome.kind === 'aborted') return { ok: false, aborted: outcome.cause };
    if (outcome.kind !== 'done') continue;
    const value = outcome.value;
    if ('failed' in value) return { ok: false, reason: value.failed };
    if (!value.healthy) return { ok: false, reason: `instance ${info.spec.id}: ${value.reason}` };
  }
  const ids = started.map((info) => info.spec.id).filter((id) => routedIds.has(id));
  const deadline = Date.now() + JOIN_POOL_TIMEOUT_MS;
  while (ids.length > 0) {
    const instances = await ctx.backend.instances(ctx.plan.service);
    if (ids.every((id) => instances.find((i) => i.spec.id === id)?.inPool)) return { ok: true };
    if (Date.now() > deadline)
      return { ok: false, reason: `instances ${ids.join(', ')} were healthy but did not join the traffic pool within 5 s` };
    const waited = await control.wait(watch.race(new Promise<null>((resolve) => setTimeout(() => resolve(null), 20))));
    if (waited.kind === 'aborted') return { ok: false, aborted: waited.cause };
    if (waited.kind === 'done' && waited.value !== null) return { ok: false, reason: waited.value.failed };
  }
  return { ok: true };
}

/** The rollout succeeded: the new release's instances get their restart policy back. */
export async function settleNewRelease(ctx: StrategyContext): Promise<void> {
  for (const instance of await ctx.backend.instances(ctx.plan.service))
    if (instance.spec.release === ctx.plan.release) await ctx.backend.settle(instance.spec.id).catch(() => undefined);
}

/** Drains and stops instances concurrently, each recorded as retiring. */
export async function retireInstances(ctx: StrategyContext, ids: readonly string[], reason: string): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      ctx.emit('instance:retiring', { id, reason });
      await ctx.backend.stopInstance(id).catch(() => undefined);
    }),
  );
}

/**
 * Abort: every new request goes back to the stable release with one weights call, then the new
 * release drains and stops and the weights are cleared. When the stable release no longer has
 * its full count of healthy routed instances (one died meanwhile), it is first brought back to
 * full capacity, so the rollback target is known good before the new release goes.
 */
export async function returnToStable(
  ctx: StrategyContext,
  router: TrafficRouter,
  stable: string,
  reason: string,
  onSwitched: (switchMs: number) => void,
): Promise<{ restored: boolean; switchMs: number; toppedUp: boolean }> {
  const switchMs = await applyWeights(router, ctx.plan.service, { [stable]: 100 }, reason, ctx.emit);
  onSwitched(switchMs);
  const routedPlan = ctx.previous?.processes.find((p) => p.routed);
  const instances = await ctx.backend.instances(ctx.plan.service);
  const healthy = instances.filter(
    (i) => i.spec.release === stable && i.spec.processType === routedPlan?.processType && i.inPool && i.state === 'healthy',
  ).length;
  let restored = true;
  const toppedUp = healthy < (routedPlan?.instances ?? 0);
  if (toppedUp) {
    restored = await restorePrevious(ctx);
  } else {
    const leftovers = instances.filter((i) => i.spec.release === ctx.plan.release).map((i) => i.spec.id);
    await retireInstances(ctx, leftovers, 'rollout aborted');
  }
  await applyWeights(router, ctx.plan.service, null, 'abort done: the new release is gone', ctx.emit);
  return { restored, switchMs, toppedUp };
}

/**
 * When there is nothing to compare with or switch from (a first deploy, a redeploy of what
 * serves, a service with no routed process type), both strategies start the release like a
 * rolling deploy does.
 */
export async function fallBackToRolling(
  ctx: StrategyContext,
  router: TrafficRouter,
  healthTimeoutMs: number,
  reason: string,
): Promise<RolloutResult> {
  ctx.emit('rollout:fallback', { strategy: 'rolling', reason });
  // Weights left by an interrupted canary would keep the new instances out of selection.
  await router.setWeights(ctx.plan.service, null);
  const config: RollingConfig = { strategy: 'rolling', batchSize: 1, healthTimeoutMs, pauseMs: 0, bakeMs: 0 };
  return runRolling(ctx, config);
}
