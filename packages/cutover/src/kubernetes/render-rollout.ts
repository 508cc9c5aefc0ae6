import type { BlueGreenConfig, CanaryConfig } from '../config/schema-rollout.ts';
import { renderAnalysisTemplate, TEMPLATE_ARGS } from './render-analysis-template.ts';
import { renderPodTemplate } from './render-container.ts';
import { type Manifest, metadata, type RenderContext, selectorLabels, toSeconds, unsupported } from './render-context.ts';
import { progressDeadlineSeconds, replicasField } from './render-deployment.ts';
import { renderSmokeTemplate } from './render-smoke-template.ts';

/** The Argo Gateway API traffic-router plugin, named as Argo Rollouts' plugin registry knows it. */
export const GATEWAY_PLUGIN = 'argoproj-labs/gatewayAPI';

export interface RenderedRollout {
  rollout: Manifest;
  templates: Manifest[];
  /** Services the Rollout switches: active/preview or stable/canary. */
  services: string[];
}

/** An Argo Rollout for blue-green or canary, with the AnalysisTemplates its steps and phases name. */
export function renderRollout(ctx: RenderContext, type: string, name: string): RenderedRollout {
  const rollout = ctx.config.rollout;
  const templates: Manifest[] = [];
  let strategy: Record<string, unknown>;
  let services: string[];
  if (rollout.strategy === 'blueGreen') {
    services = [name, `${name}-preview`];
    strategy = { blueGreen: blueGreen(ctx, rollout, name, templates) };
  } else if (rollout.strategy === 'canary') {
    services = [name, `${name}-canary`];
    strategy = { canary: canary(ctx, rollout, name, templates) };
  } else {
    throw new Error('renderRollout is for blueGreen and canary');
  }
  onInconclusive(ctx, rollout.onInconclusive);
  return {
    rollout: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: metadata(ctx, name, type),
      spec: {
        ...replicasField(ctx, type),
        revisionHistoryLimit: ctx.k8s.revisionHistoryLimit,
        progressDeadlineSeconds: progressDeadlineSeconds(ctx),
        // A Rollout that reaches its progress deadline is aborted, so the stable release serves again.
        progressDeadlineAbort: true,
        selector: { matchLabels: selectorLabels(ctx, type) },
        template: renderPodTemplate(ctx, type),
        strategy,
      },
    },
    templates,
    services,
  };
}

function args(ctx: RenderContext): { name: string; value: string }[] {
  const values: Record<(typeof TEMPLATE_ARGS)[number], string> = { release: ctx.release, baseline: ctx.baseline ?? ctx.release };
  return TEMPLATE_ARGS.map((name) => ({ name, value: values[name] }));
}

function blueGreen(ctx: RenderContext, rollout: BlueGreenConfig, name: string, templates: Manifest[]): Record<string, unknown> {
  const pre: string[] = [];
  if (rollout.smokeChecks.length > 0) {
    templates.push(renderSmokeTemplate(ctx, `${name}-smoke-checks`, rollout.smokeChecks, `${name}-preview`));
    pre.push(`${name}-smoke-checks`);
  }
  if (rollout.prePromotionAnalysis) {
    templates.push(renderAnalysisTemplate(ctx, `${name}-pre-promotion`, rollout.prePromotionAnalysis, 'rollout.prePromotionAnalysis'));
    pre.push(`${name}-pre-promotion`);
  }
  const post = rollout.postPromotionAnalysis;
  if (post) templates.push(renderAnalysisTemplate(ctx, `${name}-post-promotion`, post, 'rollout.postPromotionAnalysis'));
  return {
    activeService: name,
    previewService: `${name}-preview`,
    autoPromotionEnabled: rollout.autoPromote,
    scaleDownDelaySeconds: toSeconds(rollout.scaleDownDelayMs),
    ...(pre.length > 0 ? { prePromotionAnalysis: { templates: pre.map((templateName) => ({ templateName })), args: args(ctx) } } : {}),
    ...(post ? { postPromotionAnalysis: { templates: [{ templateName: `${name}-post-promotion` }], args: args(ctx) } } : {}),
  };
}

function canary(ctx: RenderContext, rollout: CanaryConfig, name: string, templates: Manifest[]): Record<string, unknown> {
  const routed = ctx.k8s.route?.kind === 'gateway';
  const steps = rollout.steps.map((step, index): Record<string, unknown> => {
    if ('setWeight' in step) return { setWeight: step.setWeight };
    if ('pause' in step) {
      if (step.pause.timeoutMs !== undefined)
        unsupported(
          ctx,
          `rollout.steps[${index}].pause.timeoutMs`,
          'an Argo pause without a duration waits for promote with no time limit: drop timeoutMs and onTimeout, or give durationMs',
        );
      return { pause: step.pause.durationMs === undefined ? {} : { duration: `${toSeconds(step.pause.durationMs)}s` } };
    }
    const templateName = `${name}-step-${index + 1}`;
    templates.push(renderAnalysisTemplate(ctx, templateName, step.analysis, `rollout.steps[${index}].analysis`));
    return { analysis: { templates: [{ templateName }], args: args(ctx) } };
  });
  if (!routed && rollout.scaleDownDelayMs > 0)
    unsupported(
      ctx,
      'rollout.scaleDownDelayMs',
      'Argo keeps the old ReplicaSet after a canary only with traffic routing: set kubernetes.route.kind: gateway, or leave it out',
    );
  if (ctx.config.proxy.sticky !== undefined)
    unsupported(ctx, 'proxy.sticky', 'the cluster splits a canary per request, not per client: leave proxy.sticky out for the cluster');
  if (ctx.config.proxy.forceReleaseHeader !== undefined)
    unsupported(ctx, 'proxy.forceReleaseHeader', 'cutover does not render header routes for the cluster: leave it out for the cluster');
  let background: Record<string, unknown> = {};
  if (rollout.backgroundAnalysis) {
    templates.push(renderAnalysisTemplate(ctx, `${name}-background`, rollout.backgroundAnalysis, 'rollout.backgroundAnalysis'));
    const first = rollout.steps.findIndex((step) => 'setWeight' in step);
    background = {
      analysis: { templates: [{ templateName: `${name}-background` }], args: args(ctx), ...(first > 0 ? { startingStep: first } : {}) },
    };
  }
  return {
    stableService: name,
    canaryService: `${name}-canary`,
    ...(routed
      ? {
          trafficRouting: { plugins: { [GATEWAY_PLUGIN]: { httpRoute: name, namespace: ctx.k8s.namespace } } },
          scaleDownDelaySeconds: toSeconds(rollout.scaleDownDelayMs),
        }
      : {}),
    steps,
    ...background,
  };
}

/** Argo pauses a Rollout whose analysis is inconclusive; promoting or aborting on its own is not expressible. */
function onInconclusive(ctx: RenderContext, value: string): void {
  if (value !== 'pause')
    unsupported(
      ctx,
      'rollout.onInconclusive',
      `Argo Rollouts pauses on an inconclusive analysis and waits for promote or abort; ${value} cannot be expressed: use pause`,
    );
}
