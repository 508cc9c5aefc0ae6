import { PatchStrategy } from '@kubernetes/client-node';
import type { Manifest } from '../render-context.ts';
import { apiError, type KubeConnection } from './kube-connection.ts';

/** Server-side apply of each manifest, in order, as one field manager that takes over conflicting fields (kubectl apply --server-side --force-conflicts). */
export async function applyManifests(conn: KubeConnection, manifests: readonly Manifest[], fieldManager: string): Promise<void> {
  for (const manifest of manifests) {
    try {
      await conn.objects.patch(manifest, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    } catch (error) {
      throw apiError(
        `applying ${manifest.kind} ${manifest.metadata.namespace}/${manifest.metadata.name}`,
        error,
        conn.server,
        manifest.kind,
      );
    }
  }
}
