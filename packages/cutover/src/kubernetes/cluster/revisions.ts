import { RELEASE_ANNOTATION } from '../render-context.ts';
import type { PrimaryWorkload } from '../render-manifests.ts';
import { apiError, type KubeConnection } from './kube-connection.ts';

// biome-ignore lint/suspicious/noExplicitAny: an API object of any kind, read field by field
type Obj = Record<string, any>;

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const ROLLOUT_REVISION_ANNOTATION = 'rollout.argoproj.io/revision';

/** One recorded revision of a workload: a ReplicaSet it owns, with the release its pods run. */
export interface Revision {
  revision: number;
  release: string | undefined;
  replicaSet: string;
  createdAt: string | undefined;
  replicas: number;
  template: Obj;
}

/** The revisions Kubernetes (or Argo Rollouts) keeps of the workload, newest first: `kubectl rollout history`. */
export async function listRevisions(
  conn: KubeConnection,
  workload: PrimaryWorkload,
  selector: Record<string, string>,
): Promise<Revision[]> {
  let list: { items: Obj[] };
  try {
    list = (await conn.objects.list(
      'apps/v1',
      'ReplicaSet',
      workload.namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    )) as { items: Obj[] };
  } catch (error) {
    throw apiError(`listing the ReplicaSets of ${workload.kind} ${workload.name}`, error, conn.server);
  }
  const annotation = workload.kind === 'Rollout' ? ROLLOUT_REVISION_ANNOTATION : REVISION_ANNOTATION;
  return list.items
    .filter((rs) => (rs.metadata?.ownerReferences ?? []).some((o: Obj) => o.kind === workload.kind && o.name === workload.name))
    .map((rs) => ({
      revision: Number(rs.metadata?.annotations?.[annotation] ?? 0),
      release: rs.spec?.template?.metadata?.annotations?.[RELEASE_ANNOTATION],
      replicaSet: rs.metadata?.name,
      createdAt: rs.metadata?.creationTimestamp,
      replicas: rs.status?.replicas ?? rs.spec?.replicas ?? 0,
      template: rs.spec?.template ?? {},
    }))
    .sort((a, b) => b.revision - a.revision);
}

/** A ReplicaSet's pod template as the workload's own: without the hash label the controller adds (what kubectl rollout undo writes back). */
export function templateForUndo(template: Obj): Obj {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}
