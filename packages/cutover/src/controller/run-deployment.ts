import { hostname, userInfo } from 'node:os';
import { parseConfigText } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { agentBackend } from '../platform/agent-backend.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { fencedBackend } from '../platform/fenced-backend.ts';
import { resolveRelease } from '../releases/release-resolver.ts';
import type { DeploymentRecord, DeploymentState, DeploymentStore } from '../store/deployment-store.ts';
import { DeploymentStore as Store } from '../store/deployment-store.ts';
import { configSnapshot } from './config-snapshot.ts';
import { type DeployLease, DeployLock } from './deploy-lock.ts';
import { type DeploymentObserver, DeploymentRecorder } from './deployment-recorder.ts';
import { type DeploymentRun, type DeployOutcome, type DeployRequest, isFailed, stepContextOf } from './deployment-run.ts';
import { currentRelease, deployLockName, markInterrupted } from './deployment-state.ts';
import type { RecordedSubmission, Submission } from './deployment-submission.ts';
import { isLeaseLost, LeaseLostError } from './lease-lost-error.ts';
import { type DeploymentNotifier, openDeploymentNotifier } from './notify/deployment-notifier.ts';
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

/** Where a deployment runs: in the controller (resumable, signals only) or in the calling process. */
export interface RunOptions {
  /** Ctrl-C aborts the rollout: only where the deployment runs inside a terminal's process. */
  abortOnSigint: boolean;
}

/** A deployment recorded and holding its lock, ready to run (or to run on, when resumed). */
export interface AcceptedDeployment {
  run: DeploymentRun;
  lease: DeployLease;
  options: RunOptions;
  /** The notify: webhooks of cutover.yml, queued, never awaited by a step (a receiver that is down cannot fail or slow a deploy). */
  notifications: DeploymentNotifier;
  /** Where release copies live (pruned to keepReleases after the deployment). */
  releasesDir: string;
}

/**
 * Runs one deployment in this process, start to end (tests and embedded use; the CLI submits to
 * the controller instead, which runs the same pipeline).
 */
export async function runDeployment(request: DeployRequest): Promise<DeployOutcome> {
  const client = new AgentClient(request.loaded.dataDir);
  await client.health();
  const store = new Store(client.paths.deploymentsDb);
  try {
    const accepted = await acceptDeployment(request, store, client, { abortOnSigint: true }, inProcessSubmission(request));
    return await runAccepted(accepted);
  } finally {
    store.close();
  }
}

/**
 * What an in-process deployment records of its request: the config snapshot (with its environment's
 * overlay) the controller's task schedulers read (the tasks of a release first brought up by
 * `cutover up`), never resumed. None when cutover.yml cannot be read back (a config built in memory).
 */
function inProcessSubmission(request: DeployRequest): (Submission & { inProcess: true }) | undefined {
  let snapshot: ReturnType<typeof configSnapshot>;
  try {
    snapshot = configSnapshot(request.loaded);
  } catch {
    return undefined;
  }
  return {
    ...snapshot,
    release: request.release,
    kind: request.kind,
    actor: request.actor ?? process.env.CUTOVER_ACTOR ?? userInfo().username,
    skipChecks: request.skipChecks ?? [],
    inProcess: true,
  };
}

/**
 * Takes the deploy lock and records the deployment (an unknown release or a busy lock is refused
 * before anything is recorded). With a submission, the record keeps it so that a restarted
 * controller can run the deployment on.
 */
export async function acceptDeployment(
  request: DeployRequest,
  store: DeploymentStore,
  client: AgentClient,
  options: RunOptions,
  submission?: Submission,
): Promise<AcceptedDeployment> {
  const service = request.loaded.config.service;
  markInterrupted(store, service);
  const lease = takeLock(store, service);
  const notifications = openDeploymentNotifier(request.loaded, client.paths.deploymentsDb);
  request = { ...request, observer: notifications.observe(request.observer) };
  try {
    const backend = agentBackend(client);
    const before = await backend.instances(service);
    const serving = currentRelease(before) ?? store.lastGoodRelease(service);
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
    if (submission)
      store.setSubmission(deploymentId, { ...submission, previousName, instancesBefore: before.length } satisfies RecordedSubmission);
    new DeployLock(store).acquire(deployLockName(service), { owner: lease.owner, deploymentId });
    const run = buildRun(request, store, client, lease, { deploymentId, releaseDir, previousName, resumedFrom: null });
    if (request.skipChecks?.length) run.recorder.facts({ skippedChecks: request.skipChecks });
    if (submission?.environment) run.recorder.facts({ environment: submission.environment.name });
    if (submission?.promotedFrom) run.recorder.facts({ promotedFrom: submission.promotedFrom });
    notifications.started({ service, id: deploymentId, release: request.release, fromRelease: serving, kind: request.kind });
    return { run, lease, options, notifications, releasesDir: client.paths.releasesDir };
  } catch (error) {
    lease.release();
    await notifications.close();
    throw error;
  }
}

/**
 * Picks up a deployment that a stopped controller left running: the lock again, the config from
 * the submission's snapshot, the record's steps (those that finished are not run again), and the
 * rollout from its checkpoint. Returns null (after recording why) when the lock is held elsewhere.
 */
export async function resumeDeployment(
  record: DeploymentRecord,
  submission: RecordedSubmission,
  store: DeploymentStore,
  client: AgentClient,
  observer: DeploymentObserver,
): Promise<AcceptedDeployment | null> {
  const loaded = parseConfigText(submission.configText, submission.configFile, submission.environment);
  const notifications = openDeploymentNotifier(loaded, client.paths.deploymentsDb);
  const request: DeployRequest = {
    loaded,
    release: submission.release,
    kind: submission.kind,
    observer: notifications.observe(observer),
    actor: submission.actor,
    skipChecks: submission.skipChecks,
  };
  let lease: DeployLease;
  try {
    lease = takeLock(store, record.service, record.id);
  } catch (error) {
    const reason = `could not resume after a controller restart: ${(error as Error).message}`;
    store.finishDeployment(record.id, 'interrupted', reason);
    void notifications.close();
    return null;
  }
  const interruptedSteps = store.interruptOpenSteps(record.id, 'the controller stopped while it ran');
  store.setRunner(record.id, hostname(), process.pid);
  const releaseDir = await resolveRelease(loaded, submission.release, client.paths.releasesDir);
  const run = buildRun(request, store, client, lease, {
    deploymentId: record.id,
    releaseDir,
    previousName: submission.previousName,
    resumedFrom: record,
  });
  run.recorder.event('deployment:resumed', { pid: process.pid, interruptedSteps, checkpoint: record.facts.rollout ?? null });
  notifications.resumed({
    service: record.service,
    id: record.id,
    release: record.toRelease,
    fromRelease: record.fromRelease,
    kind: record.kind,
  });
  return { run, lease, options: { abortOnSigint: false }, notifications, releasesDir: client.paths.releasesDir };
}

/** Runs an accepted deployment to its end and frees its lock. A lost lock ends it as interrupted. */
export async function runAccepted(accepted: AcceptedDeployment): Promise<DeployOutcome> {
  const { run, lease, notifications } = accepted;
  try {
    const outcome = await runPipeline(run, accepted.options);
    await stopFailedFirstDeploy(run, outcome);
    await pruneHistory(run, accepted.releasesDir);
    notifications.ended(outcome.state as Exclude<DeploymentState, 'running'>, outcome.reason);
    return outcome;
  } catch (error) {
    if (!isLeaseLost(error)) throw error;
    run.store.finishDeployment(run.deploymentId, 'interrupted', error.message);
    run.recorder.event('deployment:lease-lost', { reason: error.message });
    notifications.ended('interrupted', error.message);
    return { deploymentId: run.deploymentId, state: 'interrupted', reason: error.message, record: run.store.deployment(run.deploymentId)! };
  } finally {
    lease.release();
    await notifications.close();
  }
}

/** A first deploy (nothing served before it) that failed stops what it started, as a later deploy does. */
async function stopFailedFirstDeploy(run: DeploymentRun, outcome: DeployOutcome): Promise<void> {
  if (outcome.state === 'succeeded' || run.request.kind !== 'deploy' || outcome.record.fromRelease !== null) return;
  const left = await run.backend.instances(run.service).catch(() => []);
  await Promise.allSettled(left.map((instance) => run.backend.stopInstance(instance.spec.id)));
  if (left.length > 0) run.recorder.event('deployment:first-deploy-stopped', { instances: left.map((i) => i.spec.id) });
}

function takeLock(store: DeploymentStore, service: string, resumingId?: number): DeployLease {
  const attempt = new DeployLock(store).acquire(deployLockName(service), resumingId === undefined ? {} : { deploymentId: resumingId });
  if (attempt.acquired) return attempt.lease;
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

function buildRun(
  request: DeployRequest,
  store: DeploymentStore,
  client: AgentClient,
  lease: DeployLease,
  at: { deploymentId: number; releaseDir: string; previousName: string | null; resumedFrom: DeploymentRecord | null },
): DeploymentRun {
  const fence = () => {
    if (!lease.held()) throw new LeaseLostError(at.deploymentId, lease.name);
  };
  return {
    request,
    deploymentId: at.deploymentId,
    service: request.loaded.config.service,
    store,
    recorder: new DeploymentRecorder(store, at.deploymentId, request.observer, { fence, resumedFrom: at.resumedFrom }),
    backend: fencedBackend(agentBackend(client), fence),
    loaded: request.loaded,
    lockOwner: lease.owner,
    releaseDir: at.releaseDir,
    previousName: at.previousName,
    plan: null,
    previous: null,
    resumedFrom: at.resumedFrom,
  };
}

async function runPipeline(run: DeploymentRun, options: RunOptions): Promise<DeployOutcome> {
  const { store, service, request } = run;
  const finish = (state: Exclude<DeploymentState, 'running'>, reason: string | null, rolledBackTo: string | null = null): DeployOutcome => {
    store.finishDeployment(run.deploymentId, state, reason, rolledBackTo);
    if (state === 'succeeded') store.markReleaseGood(service, request.release);
    return { deploymentId: run.deploymentId, state, reason, record: store.deployment(run.deploymentId)! };
  };
  const once = { once: true };

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
    const result = await run.recorder.step(step.name, () => step.run(stepContext), once);
    if (step.name === 'backup' && result.outcome === 'ok')
      run.recorder.facts({ backupId: result.values.backupId, restoreCommand: result.values.restoreCommand });
    if (isFailed(result))
      return finish('failed', `${step.name} failed: ${result.reason ?? 'see the step values'}; traffic was not touched`);
  }

  await routeStep(run);
  if (isFailed(await hooksStep(run, 'preSwitch'))) return finish('failed', 'a pre-switch hook failed; traffic was not touched');

  const rollout = await rolloutStep(run, { abortOnSigint: options.abortOnSigint });
  /** `restoredBefore` null: nothing is known of the previous release (a throw, or a later step failed): restore it now. */
  const rollBack = async (reason: string, restoredBefore: boolean | null) => {
    const restored = restoredBefore ?? (await restoreStep(run)).outcome === 'ok';
    await hooksStep(run, 'onRollback');
    const back = restored && run.previous ? run.previous.release : null;
    return finish(back ? 'rolled_back' : 'failed', reason, back);
  };
  if (isFailed(rollout)) return rollBack(rollout.reason ?? 'rollout failed', rolloutRestored(rollout));

  if (isFailed(await hooksStep(run, 'postSwitch'))) return rollBack('a post-switch hook failed', null);
  for (const step of pipeline.afterSwitch) {
    const result = await run.recorder.step(step.name, () => step.run(stepContext), once);
    if (isFailed(result)) return rollBack(`${step.name} failed: ${result.reason ?? 'see the step values'}`, null);
  }
  await hooksStep(run, 'postDeploy');
  await noteContractMigrations(run);
  return finish('succeeded', null);
}
