import { hostname, userInfo } from 'node:os';
import { ensureAccessories } from '../accessories/ensure-accessories.ts';
import type { CheckOutcome } from '../checks/check-result.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { rollbackRollout } from '../config/schema-rollout.ts';
import { migrationStatus } from '../database/migrations/migrate-step.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { DeploymentSignals } from '../store/deployment-signals.ts';
import { type DeploymentRecord, type DeploymentState, DeploymentStore } from '../store/deployment-store.ts';
import { restorePrevious, type StrategyContext } from '../strategies/rolling.ts';
import { runStrategy } from '../strategies/run-strategy.ts';
import { agentBackend } from './agent-backend.ts';
import { AgentClient } from './agent-client.ts';
import { DeployLock, LOCK_OWNER_ENV } from './deploy-lock.ts';
import { type DeploymentObserver, DeploymentRecorder } from './deployment-recorder.ts';
import { currentRelease, deployLockName, markInterrupted } from './deployment-state.ts';
import { runHooks } from './hook-runner.ts';
import { buildPipeline, type SkipCheck } from './pipeline.ts';
import type { StepContext, StepResult } from './pipeline-step.ts';
import { buildReleasePlan, type ReleasePlan } from './release-plan.ts';
import { resolveRelease } from './release-resolver.ts';
import { buildRouteSpec } from './route-spec.ts';
import type { WorkloadBackend } from './workload-backend.ts';

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
  const service = request.loaded.config.service;
  const backend = agentBackend(client);
  const serving = currentRelease(await backend.instances(service)) ?? store.lastGoodRelease(service);
  const previousName = serving && serving !== request.release ? serving : store.lastGoodRelease(service, request.release);
  // An unknown release is bad input: it is refused (listing the known ones) before anything is recorded.
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
  // Accessories come first: their URLs reach the instances' env and the data steps.
  const accessoryEnv: Record<string, string> = {};
  const accessories = await recorder.step('accessories', async () => {
    if (!request.loaded.config.accessories) return { outcome: 'skipped', values: {}, reason: 'cutover.yml declares no accessories' };
    const statuses = await ensureAccessories(request.loaded, { log: (line) => recorder.event('step:log', { message: line }) });
    for (const status of statuses) if (status.env) accessoryEnv[status.env] = status.url;
    return { outcome: 'ok', values: { accessories: statuses.map(({ url: _url, ...rest }) => rest) } };
  });
  const loaded = withEnv(request.loaded, accessoryEnv);
  const finish = (state: Exclude<DeploymentState, 'running'>, reason: string | null, rolledBackTo: string | null = null): DeployOutcome => {
    store.finishDeployment(deploymentId, state, reason, rolledBackTo);
    if (state === 'succeeded') store.markReleaseGood(service, request.release);
    return { deploymentId, state, reason, record: store.deployment(deploymentId)! };
  };

  if (accessories.outcome === 'failed') return finish('failed', `accessories failed: ${accessories.reason}; nothing was changed`);
  let plan: ReleasePlan;
  const resolved = await recorder.step('resolve release', async () => {
    const dir = releaseDir;
    plan = buildReleasePlan(loaded, request.release, dir, process.env);
    store.upsertRelease({ service, name: request.release, dir, specs: plan });
    return {
      outcome: 'ok',
      values: { dir, processes: plan.processes.map((p) => ({ type: p.processType, instances: p.instances, command: p.template.command })) },
    };
  });
  if (resolved.outcome !== 'ok') return finish('failed', resolved.reason ?? 'the release could not be planned');
  const previous = previousName ? ((store.release(service, previousName)?.specs as ReleasePlan | undefined) ?? null) : null;
  recorder.facts({ previousRelease: previous?.release ?? null });

  const abort = new AbortController();
  const stepContext: StepContext = {
    loaded,
    deploymentId: String(deploymentId),
    release: request.release,
    releaseDir: plan!.dir,
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

  const pipeline = buildPipeline(loaded, {
    skipChecks: request.skipChecks ?? [],
    currentReleaseHealthy: () => currentReleaseHealth(backend, service),
    deployLockFree: async () => ({ outcome: 'pass', message: `held by this deployment (${deploymentId})`, measured: deploymentId }),
    validationDeps: async () => ({
      // With stripPrefix the app serves at its root, so one check path works through the proxy and on the instances.
      proxyBaseUrl: `http://127.0.0.1:${loaded.config.agent.httpPort}${loaded.config.proxy.stripPrefix ? loaded.config.proxy.pathPrefix.replace(/\/$/, '') : ''}`,
      instanceUrls: (await backend.instances(service))
        .filter((i) => i.spec.release === request.release && i.inPool && i.port !== null)
        .map((i) => `http://127.0.0.1:${i.port}`),
      counters: async (release) => {
        const snapshot = (await backend.counters(service)).counters[release];
        return { requests: snapshot?.requests ?? 0, byStatusClass: { ...(snapshot?.byStatusClass ?? {}) } };
      },
    }),
  });
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
  const rolloutConfig = request.kind === 'rollback' ? rollbackRollout(loaded.config.rollout) : loaded.config.rollout;
  recorder.facts({
    strategy: rolloutConfig.strategy,
    ...(rolloutConfig !== loaded.config.rollout ? { configuredStrategy: loaded.config.rollout.strategy } : {}),
  });
  const rollout = await recorder.step('rollout', async () => {
    const deps = { router: backend, signals: new DeploymentSignals(store.db), cwd: loaded.root, abortOnSigint: true };
    const result = await runStrategy(strategyContext, rolloutConfig, deps);
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
  if (loaded.config.migrations) {
    // Contract migrations drop what the previous release still uses: they wait for an explicit, separate confirmation.
    const status = await migrationStatus(loaded, plan!.dir).catch(() => null);
    if (status && status.pendingContract > 0) {
      recorder.facts({
        pendingContractMigrations: status.pendingContract,
        contractCommand: `cutover migrate up --contract --config ${loaded.file}`,
      });
      recorder.event('migrate:contract-pending', { pending: status.pendingContract });
    }
  }
  return finish('succeeded', null);
}

/** The config with extra env (accessory URLs) layered over its own, for the instances and the data steps. */
function withEnv(loaded: LoadedConfig, extra: Record<string, string>): LoadedConfig {
  if (Object.keys(extra).length === 0) return loaded;
  return Object.freeze({ ...loaded, env: Object.freeze({ ...loaded.env, ...extra }) });
}

/** Pre-deploy check: every instance taking traffic is healthy (a first deploy has none, which passes). */
async function currentReleaseHealth(backend: WorkloadBackend, service: string): Promise<CheckOutcome> {
  const routed = (await backend.instances(service)).filter((i) => i.inPool);
  const sick = routed.filter((i) => i.state !== 'healthy');
  if (routed.length === 0) return { outcome: 'pass', message: 'nothing serves yet (first deploy)', measured: 0 };
  if (sick.length > 0) {
    return {
      outcome: 'fail',
      message: `${sick.length} of ${routed.length} serving instances are not healthy (${sick.map((i) => `${i.spec.id}: ${i.state}`).join(', ')}); fix them or skip this check with a reason`,
      measured: routed.length - sick.length,
      threshold: routed.length,
    };
  }
  return { outcome: 'pass', message: `${routed.length} serving instances healthy`, measured: routed.length, threshold: routed.length };
}
