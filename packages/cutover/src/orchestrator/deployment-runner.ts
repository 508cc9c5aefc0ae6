import { hostname, userInfo } from 'node:os';
import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { type DeploymentRecord, type DeploymentState, DeploymentStore } from '../store/deployment-store.ts';
import { restorePrevious, runRolling, type StrategyContext } from '../strategies/rolling.ts';
import { agentBackend } from './agent-backend.ts';
import { AgentClient } from './agent-client.ts';
import { DeployLock, isStale, LOCK_OWNER_ENV, processAlive } from './deploy-lock.ts';
import { type DeploymentObserver, DeploymentRecorder } from './deployment-recorder.ts';
import { runHooks } from './hook-runner.ts';
import { buildPipeline, type SkipCheck } from './pipeline.ts';
import type { StepContext, StepResult } from './pipeline-step.ts';
import { buildReleasePlan, type ReleasePlan } from './release-plan.ts';
import { resolveRelease } from './release-resolver.ts';
import { buildRouteSpec } from './route-spec.ts';

export interface DeployRequest {
  loaded: LoadedConfig;
  release: string;
  kind: 'deploy' | 'rollback';
  observer: DeploymentObserver;
  actor?: string;
  skipChecks?: SkipCheck[];
}

export interface DeployOutcome {
  deploymentId: number;
  state: DeploymentState;
  reason: string | null;
  record: DeploymentRecord;
}

export function deployLockName(service: string): string {
  return `deploy:${service}`;
}

/**
 * Runs one deployment through the pipeline:
 *   lock → resolve release → pre-deploy hooks → checks → backup → migrate → route → pre-switch hooks
 *   → rollout (strategy) → post-switch hooks → validation → post-deploy hooks → done
 * Before the rollout a failure changes nothing; from the rollout on, a failure restores the previous
 * release to full capacity and stops the new one. Every step lands in the record with its values.
 */
export async function runDeployment(request: DeployRequest): Promise<DeployOutcome> {
  const { loaded } = request;
  const service = loaded.config.service;
  const client = new AgentClient(loaded.dataDir);
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
    try {
      return await runLocked(request, store, client, attempt.lease.owner);
    } finally {
      attempt.lease.release();
    }
  } finally {
    store.close();
  }
}

async function runLocked(request: DeployRequest, store: DeploymentStore, client: AgentClient, lockOwner: string): Promise<DeployOutcome> {
  const { loaded } = request;
  const service = loaded.config.service;
  const backend = agentBackend(client);
  const serving = currentRelease(await backend.instances(service)) ?? store.lastGoodRelease(service);
  const previousName = serving && serving !== request.release ? serving : store.lastGoodRelease(service, request.release);
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
  const finish = (state: Exclude<DeploymentState, 'running'>, reason: string | null, rolledBackTo: string | null = null): DeployOutcome => {
    store.finishDeployment(deploymentId, state, reason, rolledBackTo);
    if (state === 'succeeded') store.markReleaseGood(service, request.release);
    return { deploymentId, state, reason, record: store.deployment(deploymentId)! };
  };

  let plan: ReleasePlan;
  const resolved = await recorder.step('resolve release', async () => {
    const dir = resolveRelease(loaded, request.release, client.paths.releasesDir);
    plan = buildReleasePlan(loaded, request.release, dir, process.env);
    store.upsertRelease({ service, name: request.release, dir, specs: plan });
    return {
      outcome: 'ok',
      values: { dir, processes: plan.processes.map((p) => ({ type: p.processType, instances: p.instances, command: p.template.command })) },
    };
  });
  if (resolved.outcome !== 'ok') return finish('failed', resolved.reason ?? 'release not found');
  const previous = previousName ? ((store.release(service, previousName)?.specs as ReleasePlan | undefined) ?? null) : null;
  recorder.facts({ previousRelease: previous?.release ?? null });

  const abort = new AbortController();
  const stepContext: StepContext = {
    loaded,
    deploymentId: String(deploymentId),
    release: request.release,
    previousRelease: previous?.release ?? null,
    log: (message) => recorder.event('step:log', { message }),
    signal: abort.signal,
  };
  const hookEnv = {
    CUTOVER_SERVICE: service,
    CUTOVER_RELEASE: request.release,
    CUTOVER_PREVIOUS_RELEASE: previous?.release ?? '',
    CUTOVER_DEPLOYMENT_ID: String(deploymentId),
    CUTOVER_KIND: request.kind,
    CUTOVER_CONFIG: loaded.file,
    CUTOVER_PROXY_URL: `http://127.0.0.1:${loaded.config.agent.httpPort}${loaded.config.proxy.pathPrefix}`,
    [LOCK_OWNER_ENV]: lockOwner,
  };
  const hooks = (name: keyof typeof loaded.config.hooks & string, list: readonly string[]) =>
    recorder.step(`${name} hooks`, () =>
      runHooks(list, {
        cwd: loaded.root,
        env: { ...hookEnv, CUTOVER_HOOK: name },
        timeoutMs: loaded.config.hooks.timeoutMs,
        onLine: (line) => recorder.event('hook:output', { hook: name, line }),
      }),
    );
  const failed = (result: StepResult) => result.outcome === 'failed';

  const pipeline = buildPipeline(loaded, { skipChecks: request.skipChecks ?? [], lockFree: true });
  if (failed(await hooks('preDeploy', loaded.config.hooks.preDeploy)))
    return finish('failed', 'a pre-deploy hook failed; nothing was changed');
  for (const step of pipeline.beforeRollout) {
    const result = await recorder.step(step.name, () => step.run(stepContext));
    if (step.name === 'backup' && result.outcome === 'ok')
      recorder.facts({ backupId: result.values.backupId, restoreCommand: result.values.restoreCommand });
    if (failed(result)) return finish('failed', `${step.name} failed: ${result.reason ?? 'see the step values'}; traffic was not touched`);
  }

  await recorder.step('route', async () => {
    const spec = buildRouteSpec(loaded);
    await backend.setRoute(spec);
    return { outcome: 'ok', values: { route: spec } };
  });
  if (failed(await hooks('preSwitch', loaded.config.hooks.preSwitch)))
    return finish('failed', 'a pre-switch hook failed; traffic was not touched');

  const strategyContext: StrategyContext = {
    deploymentId,
    plan: plan!,
    previous,
    backend,
    emit: (type, data) => recorder.event(type, data),
  };
  const rollout = await recorder.step('rollout', async () => {
    const result = await runRolling(strategyContext, loaded.config.rollout);
    return { outcome: result.outcome, values: { ...result.values, restored: result.restored ?? null }, reason: result.reason };
  });
  const rollBack = async (reason: string, alreadyRestored?: boolean) => {
    const restored =
      alreadyRestored ??
      (
        await recorder.step('restore previous release', async () => {
          const ok = await restorePrevious(strategyContext);
          return { outcome: ok ? 'ok' : 'failed', values: { restored: ok, release: previous?.release ?? null } };
        })
      ).outcome === 'ok';
    await hooks('onRollback', loaded.config.hooks.onRollback);
    return finish(restored && previous ? 'rolled_back' : 'failed', reason, restored && previous ? previous.release : null);
  };
  if (failed(rollout)) return rollBack(rollout.reason ?? 'rollout failed', Boolean(rollout.values.restored));

  if (failed(await hooks('postSwitch', loaded.config.hooks.postSwitch))) return rollBack('a post-switch hook failed');
  for (const step of pipeline.afterSwitch) {
    const result = await recorder.step(step.name, () => step.run(stepContext));
    if (failed(result)) return rollBack(`${step.name} failed: ${result.reason ?? 'see the step values'}`);
  }
  await hooks('postDeploy', loaded.config.hooks.postDeploy);
  return finish('succeeded', null);
}

/** The release most routed instances run: what serves traffic now. */
export function currentRelease(instances: { spec: { release: string }; inPool?: boolean }[]): string | null {
  const counts = new Map<string, number>();
  for (const instance of instances) if (instance.inPool) counts.set(instance.spec.release, (counts.get(instance.spec.release) ?? 0) + 1);
  let best: string | null = null;
  for (const [release, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = release;
  return best;
}

/** Deployments left 'running' by a process that died are marked interrupted, so records stay truthful. */
export function markInterrupted(store: DeploymentStore, service: string): number[] {
  const lock = new DeployLock(store);
  const holder = lock.holder(deployLockName(service));
  const marked: number[] = [];
  for (const deployment of store.runningDeployments(service)) {
    const holderAlive = holder && holder.deploymentId === deployment.id && !isStale(holder, Date.now());
    const sameHostDead = deployment.host === hostname() && !processAlive(deployment.pid);
    if (!holderAlive && (sameHostDead || !holder || holder.deploymentId !== deployment.id)) {
      store.finishDeployment(
        deployment.id,
        'interrupted',
        `the process running it (pid ${deployment.pid} on ${deployment.host}) stopped before it finished`,
      );
      marked.push(deployment.id);
    }
  }
  return marked;
}
