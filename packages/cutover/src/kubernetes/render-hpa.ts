import { workloadConfig } from './render-container.ts';
import { type Manifest, metadata, type RenderContext } from './render-context.ts';

/** A HorizontalPodAutoscaler on CPU, scaling the Deployment or the Rollout of the process type. */
export function renderHpa(ctx: RenderContext, type: string, target: { apiVersion: string; kind: string; name: string }): Manifest[] {
  const autoscaling = workloadConfig(ctx, type).autoscaling;
  if (autoscaling === undefined) return [];
  return [
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: metadata(ctx, target.name, type),
      spec: {
        scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name },
        minReplicas: autoscaling.minReplicas,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercent } },
          },
        ],
      },
    },
  ];
}
