import { hostname, userInfo } from 'node:os';
import { CutoverError } from '../errors/cutover-error.ts';
import { agentBackend } from '../platform/agent-backend.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { resolveRelease } from '../releases/release-resolver.ts';
import type { DeploymentState } from '../store/deployment-store.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import { DeployLock } from './deploy-lock.ts';
import { DeploymentRecorder } from './deployment-recorder.ts';
import { type DeploymentRun, type DeployOutcome, type DeployRequest, isFailed, stepContextOf } from './deployment-run.ts';
import { currentRelease, deployLockName, markInterrupted } from './deployment-state.ts';
import { openDeploymentNotifier } from './notify/deployment-notifier.ts';
import { buildPipeline } from './pipeline.ts';
import { pruneHistory } from './prune-history.ts';
import { accessoriesStep, withEnv } from './steps/accessories-step.ts';
import { noteContractMigrations } from './steps/contract-pending-step.ts';
import { currentReleaseHealth } from './steps/current-release-health.ts';
import { hooksStep } from './steps/hooks-step.ts';
import { resolveReleaseStep } from './steps/resolve-release-step.ts';
import { restoreStep } from './steps/restore-step.ts';
import { rolloutRestored, rolloutStep } from './steps/rollout-step.ts';
import { routeStep } from './steps/route-step.ts';
import { validationDepsOf } from './steps/validation-deps.ts';

export type { DeployOutcome, DeployRequest } from './deployment-run.ts';

/**
 * Runs one deployment through the pipeline:
 *   lock → accessories → resolve release → pre-deploy hooks → checks → backup → migrate → route
 *   → pre-switch hooks → rollout (strategy) → post-switch hooks → validation → post-deploy hooks → done
 * Before the rollout a failure changes nothing; from the rollout on, a failure (a value or a throw)
 * restores the previous release to full capacity and stops the new one. Every step lands in the
 * record with its values. Each step lives in its own file under steps/.
 */
export async function runDeployment(request: DeployRequest): Promise<DeployOutcome> {
  const service = request.loaded.config.service;
  const client = new AgentClient(request.loaded.dataDir);
  await client.health();
  const store = new DeploymentStore(client.paths.deploymentsDb);
  try {
    markInterrupted(store, service);
    const lock = new DeployLock(store);
    const attempt = lock.acquire(deployLockName(service));
    if (!attempt.acquired) {
      const h = attempt.holder;
      throw new CutoverError(
        'CUT_ERR_DEPLOY_LOCKED',
        `deployment ${h.deploymentId ?? '?'} of ${service} holds the deploy lock (pid ${h.pid} on ${h.host}, since ${new Date(h.acquiredAt).toISOString()})`,
        {
          hint: `wait for it to finish ("cutover status"); a crashed holder frees the lock by ${new Date(h.expiresAt).toISOString()} at the latest`,
          details: { holder: h },
        },
      );
    }
    // Notifications are queued, never awaited by a step: a receiver that is down cannot fail or slow a deploy.
    const notifications = openDeploymentNotifier(request.loaded, client.paths.deploymentsDb);
    try {
      const run = await openRun({ ...request, observer: notifications.observe(request.observer) }, store, client, attempt.lease.owner);
      notifications.started({
        service,
        id: run.deploymentId,
        release: request.release,
        fromRelease: store.deployment(run.deploymentId)?.fromRelease ?? null,
        kind: request.kind,
      });
      const outcome = await runPipeline(run);
      await pruneHistory(run, client.paths.releasesDir);
      notifications.ended(outcome.state as Exclude<typeof outcome.state, 'running'>, outcome.reason);
      return outcome;
    } finally {
      attempt.lease.release();
      await notifications.close();
    }
  } finally {
    store.close();
  }
}

/** Records the deployment and builds its run (an unknown release is refused before anything is recorded). */
async function openRun(request: DeployRequest, store: DeploymentStore, client: AgentClient, lockOwner: string): Promise<DeploymentRun> {
  const service = request.loaded.config.service;
  const backend = agentBackend(client);
  const serving = currentRelease(await backend.instances(service)) ?? store.lastGoodRelease(service);
  const previousName = serving && serving !== request.release ? serving : store.lastGoodRelease(service, request.release);
  const releaseDir = await resolveRelease(request.loaded, request.release, client.paths.releasesDir, {
    onOutput: (text) => {
      for (const line of text.split('\n')) if (line.trim()) request.observer.event('build:output', { line });
    },
  });
  const deploymentId = store.createDeployment({
    service,
    kind: request.kind,
    fromRelease: serving,
    toRelease: request.release,
    actor: request.actor ?? process.env.CUTOVER_ACTOR ?? userInfo().username,
    host: hostname(),
    pid: process.pid,
  });
  new DeployLock(store).acquire(deployLockName(service), { owner: lockOwner, deploymentId });
  const recorder = new DeploymentRecorder(store, deploymentId, request.observer);
  return {
    request,
    deploymentId,
    service,
    store,
    recorder,
    backend,
    loaded: request.loaded,
    lockOwner,
    releaseDir,
    previousName,
    plan: null,
    previous: null,
  };
}

async function runPipeline(run: DeploymentRun): Promise<DeployOutcome> {
  const { store, service, request } = run;
  const finish = (state: Exclude<DeploymentState, 'running'>, reason: string | null, rolledBackTo: string | null = null): DeployOutcome => {
    store.finishDeployment(run.deploymentId, state, reason, rolledBackTo);
    if (state === 'succeeded') store.markReleaseGood(service, request.release);
    return { deploymentId: run.deploymentId, state, reason, record: store.deployment(run.deploymentId)! };
  };

  // Accessories come first: their URLs reach the instances' env and the data steps.
  const accessories = await accessoriesStep(request.loaded, run.recorder);
  run.loaded = withEnv(request.loaded, accessories.env);
  if (isFailed(accessories.result)) return finish('failed', `accessories failed: ${accessories.result.reason}; nothing was changed`);
  const resolved = await resolveReleaseStep(run);
  if (resolved.outcome !== 'ok') return finish('failed', resolved.reason ?? 'the release could not be planned');

  const abort = new AbortController();
  const stepContext = stepContextOf(run, abort.signal);
  const pipeline = buildPipeline(run.loaded, {
    skipChecks: request.skipChecks ?? [],
    currentReleaseHealthy: () => currentReleaseHealth(run.backend, service),
    deployLockFree: async () => ({ outcome: 'pass', message: `held by this deployment (${run.deploymentId})`, measured: run.deploymentId }),
    validationDeps: () => validationDepsOf(run),
  });
  if (isFailed(await hooksStep(run, 'preDeploy'))) return finish('failed', 'a pre-deploy hook failed; nothing was changed');
  for (const step of pipeline.beforeRollout) {
    const result = await run.recorder.step(step.name, () => step.run(stepContext));
    if (step.name === 'backup' && result.outcome === 'ok')
      run.recorder.facts({ backupId: result.values.backupId, restoreCommand: result.values.restoreCommand });
    if (isFailed(result))
      return finish('failed', `${step.name} failed: ${result.reason ?? 'see the step values'}; traffic was not touched`);
  }

  await routeStep(run);
  if (isFailed(await hooksStep(run, 'preSwitch'))) return finish('failed', 'a pre-switch hook failed; traffic was not touched');

  const rollout = await rolloutStep(run, { abortOnSigint: true });
  /** `restored` null: nothing is known of the previous release (a throw, or a later step failed): restore it now. */
  const rollBack = async (reason: string, restoredBefore: boolean | null) => {
    const restored = restoredBefore ?? (await restoreStep(run)).outcome === 'ok';
    await hooksStep(run, 'onRollback');
    const back = restored && run.previous ? run.previous.release : null;
    return finish(back ? 'rolled_back' : 'failed', reason, back);
  };
  if (isFailed(rollout)) return rollBack(rollout.reason ?? 'rollout failed', rolloutRestored(rollout));

  if (isFailed(await hooksStep(run, 'postSwitch'))) return rollBack('a post-switch hook failed', null);
  for (const step of pipeline.afterSwitch) {
    const result = await run.recorder.step(step.name, () => step.run(stepContext));
    if (isFailed(result)) return rollBack(`${step.name} failed: ${result.reason ?? 'see the step values'}`, null);
  }
  await hooksStep(run, 'postDeploy');
  await noteContractMigrations(run);
  return finish('succeeded', null);
}
