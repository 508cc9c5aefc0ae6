import { renderPodTemplate, workloadConfig } from './render-container.ts';
import { type Manifest, metadata, type RenderContext, selectorLabels, toSeconds } from './render-context.ts';

/** A Deployment rolled by Kubernetes itself: batchSize new pods at a time, never below the current capacity. */
export function renderDeployment(ctx: RenderContext, type: string, name: string): Manifest {
  const rollout = ctx.config.rollout;
  const batch = rollout.strategy === 'rolling' ? rollout.batchSize : 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(ctx, name, type),
    spec: {
      ...replicasField(ctx, type),
      revisionHistoryLimit: ctx.k8s.revisionHistoryLimit,
      progressDeadlineSeconds: progressDeadlineSeconds(ctx),
      selector: { matchLabels: selectorLabels(ctx, type) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: batch, maxUnavailable: 0 } },
      template: renderPodTemplate(ctx, type),
    },
  };
}

/** Fixed replicas, or none at all when an autoscaler owns the count (an apply would fight it otherwise). */
export function replicasField(ctx: RenderContext, type: string): { replicas?: number } {
  const workload = workloadConfig(ctx, type);
  if (workload.autoscaling !== undefined) return {};
  return { replicas: workload.replicas ?? ctx.config.processes[type]?.instances ?? 1 };
}

export function progressDeadlineSeconds(ctx: RenderContext): number {
  return toSeconds(ctx.k8s.progressDeadlineMs ?? ctx.config.rollout.healthTimeoutMs);
}
