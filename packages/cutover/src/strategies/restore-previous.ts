import { buildInstanceId } from '../releases/release-plan.ts';
import type { StrategyContext } from './strategy.ts';

/**
 * Brings the previous release back to full capacity, then drains and stops every instance of the
 * failed release. Returns whether the previous release is fully back.
 *
 * An old instance being retired still reports healthy while it drains, and will be gone: it is not
 * counted. Known from `retiring` (what the caller began to retire, even if the agent has not
 * acted on it yet) and from the agent (a routed instance that is healthy but out of its pool).
 */
export async function restorePrevious(ctx: StrategyContext, options: { retiring?: ReadonlySet<string> } = {}): Promise<boolean> {
  const { backend, plan, previous } = ctx;
  let restored = previous !== null;
  if (previous) {
    ctx.emit('rollout:restoring', { release: previous.release });
    const instances = await backend.instances(plan.service);
    const nextId = restoreIdsAfter(
      instances.map((i) => i.spec.id),
      ctx.deploymentId,
    );
    for (const processPlan of previous.processes) {
      const live = instances.filter(
        (i) =>
          i.spec.release === previous.release &&
          i.spec.processType === processPlan.processType &&
          (i.state === 'healthy' || i.state === 'starting') &&
          !options.retiring?.has(i.spec.id) &&
          !(processPlan.routed && i.state === 'healthy' && !i.inPool),
      );
      const missing = processPlan.instances - live.length;
      const started = await Promise.all(
        Array.from({ length: Math.max(0, missing) }, () =>
          backend.startInstance({ ...processPlan.template, id: nextId(previous.release, processPlan.processType) }, processPlan.routed),
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

/** Where restore instance numbers start (a rollout numbers its new instances from 1). */
const RESTORE_SEQ_BASE = 1000;

/**
 * Instance ids for a restore of deployment `deploymentId`, unique across resumes: numbered past
 * every instance of this deployment the agent still knows (an interrupted restore's included, so
 * a resumed restore never asks for an id that is taken, nor one of the instances it started) and
 * past the restore base.
 */
export function restoreIdsAfter(knownIds: readonly string[], deploymentId: number): (release: string, processType: string) => string {
  const ofDeployment = new RegExp(`\\.d${deploymentId}\\.(\\d+)$`);
  let highest = RESTORE_SEQ_BASE;
  for (const id of knownIds) {
    const match = ofDeployment.exec(id);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  // Every id of this deployment ends in .d<id>.<n> with n <= highest: the ids past it are all free.
  let seq = highest;
  return (release, processType) => buildInstanceId(release, processType, deploymentId, ++seq);
}
