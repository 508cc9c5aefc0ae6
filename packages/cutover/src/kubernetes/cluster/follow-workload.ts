import { DEFAULT_OBSERVE_TIMEOUT_MS } from '../../config/schema-kubernetes.ts';
import type { PrimaryWorkload } from '../render-manifests.ts';
import { apiError, type KubeConnection, statusCode } from './kube-connection.ts';
import { deploymentProgress, rolloutProgress, type WorkloadProgress } from './workload-progress.ts';

// biome-ignore lint/suspicious/noExplicitAny: an API object of any kind, read field by field
type Obj = Record<string, any>;

export interface FollowOptions {
  /** Called on every change of the progress line. */
  onProgress?: (progress: WorkloadProgress) => void;
  /** Stop at a pause too (status), instead of waiting for a promote (deploy). */
  stopWhenPaused?: boolean;
  /** Called each time a watch is (re)opened, with the resourceVersion it resumes from. */
  onWatch?: (resourceVersion: string) => void;
  signal?: AbortSignal;
  /** The workload's controller must observe the new spec within this long, or the follow fails (no controller runs). */
  observeTimeoutMs?: number;
}

export function progressOf(workload: PrimaryWorkload, object: Obj): WorkloadProgress {
  return workload.kind === 'Rollout' ? rolloutProgress(object) : deploymentProgress(object);
}

export function collectionPath(workload: PrimaryWorkload): string {
  const base = workload.apiVersion.includes('/') ? `/apis/${workload.apiVersion}` : `/api/${workload.apiVersion}`;
  return `${base}/namespaces/${workload.namespace}/${workload.kind === 'Rollout' ? 'rollouts' : 'deployments'}`;
}

/**
 * Follows one workload to the end of its rollout (done, failed, aborted; or paused with
 * stopWhenPaused): reads it once, then watches it from that resourceVersion. A watch that drops (a
 * closed connection, a timeout) is opened again from the last resourceVersion seen, so no change
 * is missed or read twice; a 410 Gone (that version compacted away) reads the object again.
 */
export async function followWorkload(
  conn: KubeConnection,
  workload: PrimaryWorkload,
  options: FollowOptions = {},
): Promise<WorkloadProgress> {
  let object = await readWorkload(conn, workload);
  let progress = progressOf(workload, object);
  let lastMessage = '';
  const report = (p: WorkloadProgress) => {
    if (p.message !== lastMessage) options.onProgress?.(p);
    lastMessage = p.message;
  };
  report(progress);
  const ended = (p: WorkloadProgress) =>
    p.state === 'done' || p.state === 'failed' || p.state === 'aborted' || (options.stopWhenPaused === true && p.state === 'paused');
  let resourceVersion = String(object.metadata?.resourceVersion ?? '');
  let drops = 0;
  const observeBy = Date.now() + (options.observeTimeoutMs ?? DEFAULT_OBSERVE_TIMEOUT_MS);
  while (!ended(progress)) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (!observed(object) && Date.now() >= observeBy) {
      const controller = workload.kind === 'Rollout' ? 'the Argo Rollouts controller' : 'the Deployment controller';
      progress = {
        state: 'failed',
        message: `${controller} did not pick up the new spec in ${Math.round((options.observeTimeoutMs ?? DEFAULT_OBSERVE_TIMEOUT_MS) / 1000)} s (generation ${object.metadata?.generation}, observed ${object.status?.observedGeneration ?? 'none'}): is it installed and running?`,
        facts: progress.facts,
      };
      options.onProgress?.(progress);
      break;
    }
    options.onWatch?.(resourceVersion);
    const outcome = await watchOnce(
      conn,
      workload,
      resourceVersion,
      (next) => {
        object = next;
        resourceVersion = String(next.metadata?.resourceVersion ?? resourceVersion);
        progress = progressOf(workload, next);
        report(progress);
        return ended(progress);
      },
      (rv) => {
        if (rv !== '') resourceVersion = rv;
      },
      observed(object) ? undefined : Math.max(0, observeBy - Date.now()),
    );
    if (ended(progress)) break;
    if (outcome === 'gone') {
      object = await readWorkload(conn, workload);
      resourceVersion = String(object.metadata?.resourceVersion ?? '');
      progress = progressOf(workload, object);
      report(progress);
    } else if (outcome === 'error') {
      drops++;
      // Back off a little on repeated failures; never a fixed sleep as synchronisation.
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** Math.min(drops, 6))));
    } else drops = 0;
  }
  return progress;
}

/** Whether the workload's controller has seen its current spec (Argo writes observedGeneration as a string). */
function observed(object: Obj): boolean {
  const observedGeneration = object.status?.observedGeneration;
  return observedGeneration !== undefined && String(observedGeneration) === String(object.metadata?.generation);
}

export async function readWorkload(conn: KubeConnection, workload: PrimaryWorkload): Promise<Obj> {
  try {
    return (await conn.objects.read({
      apiVersion: workload.apiVersion,
      kind: workload.kind,
      metadata: { name: workload.name, namespace: workload.namespace },
    })) as Obj;
  } catch (error) {
    throw apiError(`reading ${workload.kind} ${workload.namespace}/${workload.name}`, error, conn.server);
  }
}

/** One watch request: resolves when the watch ends ('closed'), errs ('error') or says 410 Gone ('gone'), or when `onObject` says stop. */
function watchOnce(
  conn: KubeConnection,
  workload: PrimaryWorkload,
  resourceVersion: string,
  onObject: (object: Obj) => boolean,
  onBookmark: (resourceVersion: string) => void = () => {},
  timeoutMs?: number,
): Promise<'closed' | 'error' | 'gone' | 'stopped' | 'timeout'> {
  return new Promise((resolve) => {
    let settled = false;
    let controller: AbortController | undefined;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (outcome: 'closed' | 'error' | 'gone' | 'stopped' | 'timeout') => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      controller?.abort();
      resolve(outcome);
    };
    conn.watch
      .watch(
        collectionPath(workload),
        { fieldSelector: `metadata.name=${workload.name}`, resourceVersion, allowWatchBookmarks: true },
        (type, object) => {
          if (settled) return;
          if (type === 'ERROR') return finish(statusCode(object) === 410 || object?.code === 410 ? 'gone' : 'error');
          if (type === 'DELETED') return;
          if (type === 'BOOKMARK') {
            // A bookmark only moves the resourceVersion on: a resumed watch starts after it.
            onBookmark(String(object?.metadata?.resourceVersion ?? ''));
            return;
          }
          if (onObject(object)) finish('stopped');
        },
        (error) => finish(error ? 'error' : 'closed'),
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch(() => finish('error'));
  });
}
