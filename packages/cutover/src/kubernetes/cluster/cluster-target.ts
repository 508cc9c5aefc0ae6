import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { RELEASE_ANNOTATION, selectorLabels } from '../render-context.ts';
import { type PrimaryWorkload, renderManifests } from '../render-manifests.ts';
import { applyManifests } from './apply-manifests.ts';
import { DeployLease } from './deploy-lease.ts';
import { ClusterRecorder, readRecords } from './deployment-records.ts';
import { followWorkload, progressOf, readWorkload } from './follow-workload.ts';
import { apiError, connect, type KubeConnection, statusCode } from './kube-connection.ts';
import { listRevisions, type Revision, templateForUndo } from './revisions.ts';
import type { WorkloadProgress } from './workload-progress.ts';

// biome-ignore lint/suspicious/noExplicitAny: an API object of any kind, read field by field
type Obj = Record<string, any>;

/** The annotation on the workload that records cutover's last deployment to the cluster: release, from, outcome, when. */
export const LAST_DEPLOY_ANNOTATION = 'cutover.dev/last-deployment';

export interface ClusterDeployResult {
  service: string;
  release: string;
  fromRelease: string | null;
  workload: PrimaryWorkload;
  outcome: 'succeeded' | 'failed' | 'aborted';
  progress: WorkloadProgress;
  /** The revision a failed Deployment was undone to. */
  undoneTo?: number;
}

export interface Reporter {
  progress(progress: WorkloadProgress): void;
  note(text: string): void;
}

/** The workload deploy follows, without rendering a release (status, history, promote, abort, rollback). */
export function primaryWorkload(loaded: LoadedConfig): PrimaryWorkload {
  const rendered = renderManifests(loaded, { release: 'status' });
  const primary = rendered.workloads[0];
  if (primary === undefined) throw new CutoverError('CUT_ERR_KUBE_NOT_CONFIGURED', 'no process type runs on the cluster');
  return primary;
}

export function clusterConnection(loaded: LoadedConfig): KubeConnection {
  const k8s = loaded.config.kubernetes;
  if (k8s === undefined)
    throw new CutoverError('CUT_ERR_KUBE_NOT_CONFIGURED', `${loaded.file} has no kubernetes: section`, {
      where: loaded.file,
      hint: 'add one; docs/kubernetes.md has a worked example',
    });
  return connect(k8s);
}

/**
 * Deploys a release to the cluster: renders, applies with server-side apply, then follows the
 * primary workload to its end. A Deployment that reaches its progress deadline is undone to the
 * revision that served before (kubectl rollout undo); a Rollout undoes itself (abort, or
 * progressDeadlineAbort). The outcome is recorded on the workload.
 */
export async function deployToCluster(
  loaded: LoadedConfig,
  release: string,
  reporter: Reporter,
  conn = clusterConnection(loaded),
): Promise<ClusterDeployResult> {
  const probe = primaryWorkload(loaded);
  const lease = await DeployLease.acquire(conn, probe.namespace, loaded.config.service);
  try {
    return await deployHoldingLease(loaded, release, reporter, conn, probe);
  } finally {
    await lease.release();
  }
}

async function deployHoldingLease(
  loaded: LoadedConfig,
  release: string,
  reporter: Reporter,
  conn: KubeConnection,
  probe: PrimaryWorkload,
): Promise<ClusterDeployResult> {
  const fieldManager = loaded.config.kubernetes?.fieldManager ?? 'cutover';
  const before = await readIfExists(conn, probe);
  if (before !== undefined) {
    const now = progressOf(probe, before);
    if (now.state === 'progressing' || now.state === 'paused')
      reporter.note(`warning: ${probe.kind} ${probe.name} is still rolling out (${now.message}); this deploy replaces that rollout`);
  }
  const fromRelease: string | null = before?.spec?.template?.metadata?.annotations?.[RELEASE_ANNOTATION] ?? null;
  const rendered = renderManifests(loaded, { release, baseline: fromRelease ?? undefined });
  const workload = rendered.workloads[0] as PrimaryWorkload;
  const recorder = await ClusterRecorder.start(conn, workload.namespace, {
    kind: 'deploy',
    service: loaded.config.service,
    fromRelease,
    toRelease: release,
    workload: `${workload.kind}/${workload.name}`,
  });
  const follow = (p: WorkloadProgress) => {
    recorder.progress(p);
    reporter.progress(p);
  };
  try {
    reporter.note(`applying ${rendered.manifests.length} objects to ${conn.context} (${conn.server}), namespace ${workload.namespace}`);
    await recorder.step(
      'apply',
      () => applyManifests(conn, rendered.manifests, fieldManager),
      () => ({ objects: rendered.manifests.map((m) => `${m.kind}/${m.metadata.name}`), fieldManager }),
    );
    const progress = await recorder.step(
      'rollout',
      () => followWorkload(conn, workload, { onProgress: follow, observeTimeoutMs: loaded.config.kubernetes?.observeTimeoutMs }),
      (p) => ({ state: p.state, message: p.message, ...p.facts }),
    );
    const result: ClusterDeployResult = { service: loaded.config.service, release, fromRelease, workload, outcome: 'succeeded', progress };
    if (progress.state === 'aborted') result.outcome = 'aborted';
    if (progress.state === 'failed') {
      result.outcome = 'failed';
      if (workload.kind === 'Deployment') {
        const revisions = await listRevisions(conn, workload, selectorLabels(ctxOf(loaded), typeOf(loaded)));
        const previous = revisions.find((r) => r.release !== release);
        if (previous !== undefined) {
          reporter.note(`undoing ${workload.name} to revision ${previous.revision} (release ${previous.release ?? 'unknown'})`);
          await recorder.step(
            'undo',
            async () => {
              await undoTo(conn, workload, previous);
              return followWorkload(conn, workload, { onProgress: follow, observeTimeoutMs: loaded.config.kubernetes?.observeTimeoutMs });
            },
            (p) => ({ revision: previous.revision, release: previous.release, state: p.state, message: p.message }),
          );
          result.undoneTo = previous.revision;
        }
      }
    }
    await recordOutcome(conn, workload, { release, from: fromRelease, outcome: result.outcome, message: progress.message });
    const state = result.outcome === 'failed' && result.undoneTo !== undefined ? 'rolled_back' : result.outcome;
    await recorder.finish(state, result.outcome === 'succeeded' ? undefined : progress.message);
    return result;
  } catch (error) {
    await recorder.finish('failed', (error as Error).message).catch(() => undefined);
    throw error;
  }
}

/** Rolls the workload back to a recorded revision: the one running `release`, or the newest before the current one. */
export async function rollbackOnCluster(
  loaded: LoadedConfig,
  release: string | undefined,
  reporter: Reporter,
  conn = clusterConnection(loaded),
): Promise<{ revision: Revision; progress: WorkloadProgress }> {
  const workload = primaryWorkload(loaded);
  const lease = await DeployLease.acquire(conn, workload.namespace, loaded.config.service);
  try {
    return await rollbackHoldingLease(loaded, release, reporter, conn, workload);
  } finally {
    await lease.release();
  }
}

async function rollbackHoldingLease(
  loaded: LoadedConfig,
  release: string | undefined,
  reporter: Reporter,
  conn: KubeConnection,
  workload: PrimaryWorkload,
): Promise<{ revision: Revision; progress: WorkloadProgress }> {
  const current = await readWorkload(conn, workload);
  const serving: string | undefined = current.spec?.template?.metadata?.annotations?.[RELEASE_ANNOTATION];
  const revisions = await listRevisions(conn, workload, selectorLabels(ctxOf(loaded), typeOf(loaded)));
  const target = release === undefined ? revisions.find((r) => r.release !== serving) : revisions.find((r) => r.release === release);
  if (target === undefined) {
    throw new CutoverError(
      'CUT_ERR_KUBE_NO_REVISION',
      release === undefined
        ? `no revision of ${workload.name} before ${serving ?? 'the current one'} is recorded on the cluster`
        : `no revision of ${workload.name} runs release ${release}`,
      {
        where: `${workload.kind}/${workload.namespace}/${workload.name}`,
        hint: `recorded: ${revisions.map((r) => `${r.revision} (${r.release ?? '?'})`).join(', ') || 'none'}; "cutover history --target kubernetes" lists them`,
      },
    );
  }
  reporter.note(`rolling ${workload.name} back: ${serving ?? '?'} → ${target.release ?? '?'} (revision ${target.revision})`);
  const recorder = await ClusterRecorder.start(conn, workload.namespace, {
    kind: 'rollback',
    service: loaded.config.service,
    fromRelease: serving ?? null,
    toRelease: target.release ?? null,
    workload: `${workload.kind}/${workload.name}`,
  });
  const progress = await recorder.step(
    'undo',
    async () => {
      await undoTo(conn, workload, target);
      return followWorkload(conn, workload, {
        onProgress: (p) => {
          recorder.progress(p);
          reporter.progress(p);
        },
      });
    },
    (p) => ({ revision: target.revision, state: p.state, message: p.message }),
  );
  if (progress.state !== 'done' && workload.kind === 'Deployment') {
    // A rollback that fails leaves the release that served before it, as a failed deploy does.
    const previous = revisions.find((r) => r.release === serving);
    if (previous !== undefined && previous.revision !== target.revision) {
      reporter.note(`the rollback failed: undoing ${workload.name} to revision ${previous.revision} (release ${serving})`);
      await recorder.step(
        'undo-rollback',
        async () => {
          await undoTo(conn, workload, previous);
          return followWorkload(conn, workload, { onProgress: (p) => reporter.progress(p) });
        },
        (p) => ({ revision: previous.revision, state: p.state, message: p.message }),
      );
    }
  }
  await recorder.finish(progress.state === 'done' ? 'succeeded' : 'failed', progress.state === 'done' ? undefined : progress.message);
  await recordOutcome(conn, workload, {
    release: target.release ?? null,
    from: serving ?? null,
    outcome: progress.state === 'done' ? 'succeeded' : progress.state,
    message: progress.message,
    kind: 'rollback',
  });
  return { revision: target, progress };
}

export async function clusterStatus(loaded: LoadedConfig, conn = clusterConnection(loaded)): Promise<Record<string, unknown>> {
  const workload = primaryWorkload(loaded);
  const object = await readIfExists(conn, workload);
  if (object === undefined) return { service: loaded.config.service, workload, deployed: false };
  const progress = progressOf(workload, object);
  return {
    service: loaded.config.service,
    workload,
    deployed: true,
    release: object.spec?.template?.metadata?.annotations?.[RELEASE_ANNOTATION] ?? null,
    state: progress.state,
    message: progress.message,
    facts: progress.facts,
    lastDeployment: parseJson(object.metadata?.annotations?.[LAST_DEPLOY_ANNOTATION]),
  };
}

export async function clusterHistory(
  loaded: LoadedConfig,
  conn = clusterConnection(loaded),
): Promise<{ revisions: Revision[]; deployments: Awaited<ReturnType<typeof readRecords>> }> {
  const workload = primaryWorkload(loaded);
  const revisions = (await listRevisions(conn, workload, selectorLabels(ctxOf(loaded), typeOf(loaded)))).map((r) => ({
    ...r,
    template: {},
  }));
  return { revisions, deployments: await readRecords(conn, workload.namespace, loaded.config.service) };
}

async function undoTo(conn: KubeConnection, workload: PrimaryWorkload, revision: Revision): Promise<void> {
  const template = templateForUndo(revision.template);
  try {
    await conn.objects.patch(
      {
        apiVersion: workload.apiVersion,
        kind: workload.kind,
        metadata: { name: workload.name, namespace: workload.namespace },
        spec: { template },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
  } catch (error) {
    throw apiError(`undoing ${workload.kind} ${workload.name} to revision ${revision.revision}`, error, conn.server);
  }
}

async function recordOutcome(conn: KubeConnection, workload: PrimaryWorkload, record: Record<string, unknown>): Promise<void> {
  const value = JSON.stringify({ ...record, at: new Date().toISOString() });
  try {
    await conn.objects.patch(
      {
        apiVersion: workload.apiVersion,
        kind: workload.kind,
        metadata: { name: workload.name, namespace: workload.namespace, annotations: { [LAST_DEPLOY_ANNOTATION]: value } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
  } catch (error) {
    throw apiError(`recording the outcome on ${workload.kind} ${workload.name}`, error, conn.server);
  }
}

async function readIfExists(conn: KubeConnection, workload: PrimaryWorkload): Promise<Obj | undefined> {
  try {
    return await readWorkload(conn, workload);
  } catch (error) {
    if (statusCode((error as { cause?: unknown }).cause) === 404) return undefined;
    throw error;
  }
}

function ctxOf(loaded: LoadedConfig) {
  return {
    config: loaded.config,
    k8s: loaded.config.kubernetes as NonNullable<typeof loaded.config.kubernetes>,
    release: '',
    baseline: undefined,
    env: loaded.env,
    unsupported: [],
  };
}

function typeOf(loaded: LoadedConfig): string {
  return (
    Object.entries(loaded.config.processes).find(([type, p]) => p.routed ?? type === 'web')?.[0] ??
    Object.keys(loaded.config.processes)[0] ??
    'web'
  );
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
