import type { Manifest } from './render-context.ts';

/** A model class of kubernetes-models: constructed from plain data, validated against the API's JSON schema. */
type ModelClass = new (data: Record<string, unknown>) => { validate(): void };

const MODELS: Record<string, () => Promise<ModelClass>> = {
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment as unknown as ModelClass,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service as unknown as ModelClass,
  'autoscaling/v2/HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': async () =>
    (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget as unknown as ModelClass,
  'networking.k8s.io/v1/Ingress': async () =>
    (await import('kubernetes-models/networking.k8s.io/v1/Ingress')).Ingress as unknown as ModelClass,
  'gateway.networking.k8s.io/v1/HTTPRoute': async () =>
    (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute')).HTTPRoute as unknown as ModelClass,
  'argoproj.io/v1alpha1/Rollout': async () =>
    (await import('@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout')).Rollout as unknown as ModelClass,
  'argoproj.io/v1alpha1/AnalysisTemplate': async () =>
    (await import('@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate')).AnalysisTemplate as unknown as ModelClass,
};

/** Each manifest checked against the Kubernetes, Gateway API or Argo Rollouts schema of its kind; the problems found, by object. */
export async function validateManifests(manifests: readonly Manifest[]): Promise<string[]> {
  const problems: string[] = [];
  for (const manifest of manifests) {
    const key = `${manifest.apiVersion}/${manifest.kind}`;
    const load = MODELS[key];
    const label = `${manifest.kind}/${manifest.metadata.name}`;
    if (load === undefined) {
      problems.push(`${label}: no schema known for ${key}`);
      continue;
    }
    try {
      new (await load())(structuredClone(manifest) as Record<string, unknown>).validate();
    } catch (error) {
      problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}
