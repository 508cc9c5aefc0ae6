import { workloadConfig } from './render-container.ts';
import { type Manifest, metadata, type RenderContext, selectorLabels } from './render-context.ts';

/** A PodDisruptionBudget over every pod of the process type, whatever its release. */
export function renderPdb(ctx: RenderContext, type: string, name: string): Manifest[] {
  const budget = workloadConfig(ctx, type).disruptionBudget;
  if (budget === undefined) return [];
  return [
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(ctx, name, type),
      spec: { ...budget, selector: { matchLabels: selectorLabels(ctx, type) } },
    },
  ];
}
