import { CONTAINER_PORT_NAME } from './render-container.ts';
import { type Manifest, metadata, type RenderContext, selectorLabels } from './render-context.ts';

/** A Service in front of the routed process type's pods (Argo Rollouts adds its pod-template-hash to the selector). */
export function renderService(ctx: RenderContext, type: string, name: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(ctx, name, type),
    spec: {
      type: ctx.k8s.service.type,
      selector: selectorLabels(ctx, type),
      ports: [{ name: 'http', port: ctx.k8s.service.port, targetPort: CONTAINER_PORT_NAME, protocol: 'TCP' }],
    },
  };
}
