import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import type { KubernetesConfig } from '../../config/schema-kubernetes.ts';
import { CutoverError } from '../../errors/cutover-error.ts';

/** A cluster as cutover talks to it: objects by apiVersion/kind, watches, and the status subresource of custom objects. */
export interface KubeConnection {
  kc: KubeConfig;
  objects: KubernetesObjectApi;
  custom: CustomObjectsApi;
  watch: Watch;
  server: string;
  context: string;
}

/**
 * The kubeconfig from the standard places ($KUBECONFIG, then ~/.kube/config, then the in-cluster
 * service account), switched to kubernetes.context when the file names one.
 */
export function connect(k8s: KubernetesConfig): KubeConnection {
  const kc = new KubeConfig();
  const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  const candidates = files.length > 0 ? files : [join(homedir(), '.kube', 'config')];
  if (!candidates.some((file) => existsSync(file)) && process.env.KUBERNETES_SERVICE_HOST === undefined) {
    throw new CutoverError('CUT_ERR_KUBE_KUBECONFIG', `no kubeconfig found (looked at ${candidates.join(', ')})`, {
      hint: 'point KUBECONFIG at one, or write ~/.kube/config ("kubectl config view" shows what kubectl uses)',
    });
  }
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new CutoverError('CUT_ERR_KUBE_KUBECONFIG', `the kubeconfig cannot be read: ${error instanceof Error ? error.message : error}`, {
      hint: 'set KUBECONFIG or write ~/.kube/config (kubectl config view shows what kubectl uses)',
    });
  }
  if (k8s.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === k8s.context)) {
      throw new CutoverError('CUT_ERR_KUBE_KUBECONFIG', `the kubeconfig has no context ${JSON.stringify(k8s.context)}`, {
        where: 'kubernetes.context',
        hint: `use one of: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || '(none)'
        } ("kubectl config get-contexts")`,
      });
    }
    kc.setCurrentContext(k8s.context);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new CutoverError('CUT_ERR_KUBE_KUBECONFIG', 'the kubeconfig has no current cluster', {
      hint: 'set kubernetes.context in cutover.yml, or "kubectl config use-context <name>"',
    });
  }
  return {
    kc,
    objects: KubernetesObjectApi.makeApiClient(kc),
    custom: kc.makeApiClient(CustomObjectsApi),
    watch: new Watch(kc),
    server: cluster.server,
    context: kc.getCurrentContext(),
  };
}

/** Options that send a JSON merge patch (what kubectl argo rollouts sends) instead of the default JSON patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const CRD_HINTS: Record<string, string> = {
  Rollout: 'install Argo Rollouts (blueGreen and canary run on it)',
  AnalysisTemplate: 'install Argo Rollouts (blueGreen and canary run on it)',
  HTTPRoute: 'install the Gateway API CRDs, or use kubernetes.route.kind: ingress',
};

/** An API failure as a CutoverError that says which request failed and why. */
export function apiError(action: string, error: unknown, server: string, kindApplied?: string): CutoverError {
  if (error instanceof CutoverError) return error;
  const code = (error as { code?: number; statusCode?: number }).code ?? (error as { statusCode?: number }).statusCode;
  const body = (error as { body?: unknown }).body;
  let message = error instanceof Error ? error.message : String(error);
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {}
  }
  const missing = /resource metadata for (\S+)\/(\w+):|Unrecognized API version and kind: (\S+) (\w+)/.exec(message);
  const kind = missing?.[2] ?? missing?.[4] ?? (code === 404 ? kindApplied : undefined);
  const hint =
    kind !== undefined && (code === 404 || missing?.[3] !== undefined || / 404|Not Found/i.test(message))
      ? `the cluster does not serve ${kind}: ${CRD_HINTS[kind ?? ''] ?? 'install its CustomResourceDefinition'} ("kubectl api-resources" lists what it serves)`
      : 'check the cluster answers ("kubectl get --raw /version") and that this user may do it ("kubectl auth can-i")';
  return new CutoverError('CUT_ERR_KUBE_API', `${action} failed${code ? ` (HTTP ${code})` : ''}: ${message.split('\n')[0]}`, {
    where: server,
    hint,
    cause: error,
  });
}

export function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code ?? (error as { statusCode?: number }).statusCode;
}
