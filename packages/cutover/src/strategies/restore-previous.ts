import { buildInstanceId } from '../releases/release-plan.ts';
import type { StrategyContext } from './strategy.ts';

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
