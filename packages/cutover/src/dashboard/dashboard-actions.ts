import { CutoverError } from '../errors/cutover-error.ts';
import { currentRelease } from '../platform/current-release.ts';
import { DeploymentSignals, type SignalRecord } from '../store/deployment-signals.ts';
import { refuseSignal } from '../store/signal-refusal.ts';
import type { DashboardContext } from './dashboard-context.ts';

/** How long a promote or abort from the page waits for the running rollout to answer. */
export const ACTION_ANSWER_TIMEOUT_MS = 15_000;

export type ActionResult =
  | { action: 'promote' | 'abort'; deploymentId: number; signal: SignalRecord }
  | { action: 'rollback'; deploymentId: number; release: string };

/**
 * Promote, abort or rollback asked from the page, recorded with who asked (the name typed in the
 * confirmation, marked as coming from the dashboard). Promote and abort are the signals "cutover
 * promote" and "cutover abort" send; a rollback is submitted like "cutover rollback", with the
 * config the service was last submitted with.
 */
export async function runAction(context: DashboardContext, body: Record<string, unknown>): Promise<ActionResult> {
  const action = body.action;
  const who = typeof body.actor === 'string' ? body.actor.trim().slice(0, 100) : '';
  if (!who)
    throw new CutoverError('CUT_ERR_DASHBOARD_ACTION', 'an action needs the name of who asks for it', {
      hint: 'type your name in the confirmation',
    });
  const actor = `${who} (dashboard)`;
  const store = context.store;
  if (action === 'promote' || action === 'abort') {
    const id = Number(body.deploymentId);
    const record = store.deployment(id);
    if (record?.state !== 'running')
      throw new CutoverError(
        'CUT_ERR_DEPLOY_NOT_RUNNING',
        `deployment ${body.deploymentId} is not running${record ? ` (it ended ${record.state})` : ''}`,
        {
          hint: 'the page shows the deployment that runs now; reload it',
        },
      );
    refuseSignal(record, action, 'abort it instead, or wait for it to end; once it ends, Roll back goes back to the previous release');
    store.addEvent(id, 'dashboard:action', { action, actor });
    const signal = await new DeploymentSignals(store.db).sendAndWait(id, action, actor, ACTION_ANSWER_TIMEOUT_MS);
    return { action, deploymentId: id, signal };
  }
  if (action === 'rollback') {
    const service = String(body.service ?? '');
    const running = store.runningDeployments(service);
    if (running.length > 0)
      throw new CutoverError('CUT_ERR_DASHBOARD_ACTION', `deployment ${running[0].id} of ${service} is running`, {
        hint: 'abort it instead; a rollback starts once nothing runs',
      });
    const serving = await servingNow(context, service);
    const release = typeof body.release === 'string' && body.release ? body.release : store.lastGoodRelease(service, serving);
    if (!release)
      throw new CutoverError('CUT_ERR_DEPLOY_NO_GOOD_RELEASE', `no earlier good release of ${service} is recorded`, {
        hint: '"cutover history" lists past deployments',
      });
    const row = store.db
      .prepare('SELECT id FROM deployments WHERE service = ? AND submission_json IS NOT NULL ORDER BY id DESC LIMIT 1')
      .get(service);
    const submitted = row ? store.submittedConfig(row.id as number) : null;
    if (!submitted)
      throw new CutoverError('CUT_ERR_DASHBOARD_ACTION', `no submitted config of ${service} is recorded to roll back with`, {
        hint: 'run "cutover rollback" in the service directory',
      });
    const deploymentId = await context.deployments.submit({
      ...submitted,
      release,
      kind: 'rollback',
      actor,
      reason: 'rollback from the dashboard',
      skipChecks: [],
    });
    return { action, deploymentId, release };
  }
  throw new CutoverError('CUT_ERR_DASHBOARD_ACTION', `unknown action ${JSON.stringify(action)}`, {
    hint: 'the page asks for promote, abort or rollback',
  });
}

/** The release serving now: as the agent's pool says, or (agent down) the last succeeded deployment's. */
async function servingNow(context: DashboardContext, service: string): Promise<string | undefined> {
  try {
    const serving = currentRelease((await context.agent.state(service)).instances);
    if (serving) return serving;
  } catch {
    // the agent is down: the record tells what was deployed last
  }
  const row = context.store.db
    .prepare(`SELECT to_release FROM deployments WHERE service = ? AND state = 'succeeded' ORDER BY id DESC LIMIT 1`)
    .get(service);
  return (row?.to_release as string | undefined) ?? undefined;
}
