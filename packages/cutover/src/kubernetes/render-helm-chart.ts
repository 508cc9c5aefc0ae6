import type { LoadedConfig } from '../config/load-config.ts';
import type { ParsedConfig } from '../config/schema.ts';
import { manifestsToYaml } from './manifest-yaml.ts';
import { renderManifests } from './render-manifests.ts';

/** Rendered with this release, then replaced by the chart's value, so every place the release lands follows `release:`. */
const RELEASE_MARK = 'cutover-helm-release';
const WEIGHT_MARK = 'cutover-helm-canary-weight';

export interface HelmChart {
  /** Path inside the chart directory → content. */
  files: Record<string, string>;
}

/**
 * A Helm chart of the same manifests, for teams that ship with `helm upgrade`: values hold the
 * release and the guide's canary.enabled and canary.weight. With canary.enabled the routed
 * process type is an Argo canary that sets canary.weight and waits for a promote; without it, the
 * strategy of cutover.yml.
 */
export function renderHelmChart(loaded: LoadedConfig, release: string): HelmChart {
  const configured = manifestsToYaml(renderManifests(loaded, { release: RELEASE_MARK }).manifests);
  const canaryConfig: ParsedConfig = {
    ...loaded.config,
    rollout: {
      strategy: 'canary',
      canaryInstances: 1,
      healthTimeoutMs: loaded.config.rollout.healthTimeoutMs,
      steps: [{ setWeight: 1 }, { pause: {} }],
      onInconclusive: 'pause',
      scaleDownDelayMs:
        loaded.config.kubernetes?.route?.kind === 'gateway' && loaded.config.rollout.strategy !== 'rolling'
          ? loaded.config.rollout.scaleDownDelayMs
          : 0,
    },
  };
  const canaryManifests = renderManifests({ ...loaded, config: canaryConfig }, { release: RELEASE_MARK }).manifests;
  for (const manifest of canaryManifests) {
    const steps = (manifest.spec as { strategy?: { canary?: { steps?: Record<string, unknown>[] } } } | undefined)?.strategy?.canary?.steps;
    if (steps?.[0]) steps[0].setWeight = WEIGHT_MARK;
  }
  const canary = manifestsToYaml(canaryManifests);
  const values = (text: string) =>
    text.replaceAll(RELEASE_MARK, '{{ .Values.release }}').replaceAll(WEIGHT_MARK, '{{ int .Values.canary.weight }}');
  const name = loaded.config.service;
  return {
    files: {
      'Chart.yaml': `apiVersion: v2\nname: ${name}\ndescription: ${name}, rendered by cutover k8s render --helm from cutover.yml\ntype: application\nversion: 0.1.0\nappVersion: ${JSON.stringify(release)}\n`,
      'values.yaml': [
        '# The release to run (the image tag of kubernetes.image).',
        `release: ${JSON.stringify(release)}`,
        'canary:',
        '  # true: an Argo Rollouts canary that sends canary.weight percent to the new release, then waits',
        '  # for "kubectl argo rollouts promote" (or cutover promote --target kubernetes).',
        '  enabled: false',
        '  weight: 5',
        '',
      ].join('\n'),
      'templates/manifests.yaml': `{{- if .Values.canary.enabled }}\n${values(canary)}{{- else }}\n${values(configured)}{{- end }}\n`,
    },
  };
}
