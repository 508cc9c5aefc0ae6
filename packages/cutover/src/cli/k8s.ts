import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { manifestsToYaml } from '../kubernetes/manifest-yaml.ts';
import { renderHelmChart } from '../kubernetes/render-helm-chart.ts';
import { renderManifests } from '../kubernetes/render-manifests.ts';
import { validateManifests } from '../kubernetes/validate-manifests.ts';
import type { Command } from './command.ts';

export const k8sCommand: Command = {
  name: 'k8s',
  summary: 'render the Kubernetes and Argo Rollouts manifests of cutover.yml (YAML, or a Helm chart)',
  usage: 'cutover k8s render [--release R] [--baseline B] [--helm DIR] [--validate]',
  description: [
    'Prints the objects "cutover deploy --target kubernetes" applies: AnalysisTemplates, Services, a',
    'Deployment (rolling) or an Argo Rollout (blueGreen, canary), HorizontalPodAutoscaler, PodDisruptionBudget',
    'and the HTTPRoute or Ingress, from the kubernetes: section and the rest of cutover.yml. It reads no',
    'secret and talks to no cluster. A key the cluster cannot express is an error naming it.',
    'With --helm DIR it writes a chart instead (values: release, canary.enabled, canary.weight).',
    'docs/kubernetes.md says what maps to what.',
  ].join('\n'),
  options: {
    release: { type: 'string', help: 'the release (image tag) to render (default: latest)' },
    baseline: { type: 'string', help: 'the release serving now, for {{baseline}} in analysis queries (default: the release)' },
    helm: { type: 'string', help: 'write a Helm chart into this directory instead of printing YAML' },
    validate: { type: 'boolean', help: 'check every object against the Kubernetes, Gateway API and Argo Rollouts schemas' },
  },
  async run({ args, options, out, cwd }) {
    if (args[0] !== 'render') {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `k8s needs a subcommand: render (got ${JSON.stringify(args[0] ?? '')})`, {
        hint: 'run "cutover k8s render --release v2"',
      });
    }
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const release = (options.release as string | undefined) ?? 'latest';
    if (options.helm !== undefined) {
      const dir = resolve(cwd, options.helm as string);
      const chart = renderHelmChart(loaded, release);
      try {
        for (const [file, text] of Object.entries(chart.files)) {
          mkdirSync(dirname(join(dir, file)), { recursive: true });
          writeFileSync(join(dir, file), text);
        }
      } catch (error) {
        throw new CutoverError('CUT_ERR_KUBE_HELM_DIR', `cannot write the chart into ${dir}: ${(error as Error).message}`, {
          where: dir,
          hint: 'pass a directory this user may create and write',
        });
      }
      out.result({ chart: dir, files: Object.keys(chart.files) });
      out.line(`wrote a Helm chart of ${loaded.config.service} into ${dir} (${Object.keys(chart.files).join(', ')})`);
      return 0;
    }
    const { manifests } = renderManifests(loaded, { release, baseline: options.baseline as string | undefined });
    if (options.validate) {
      const problems = await validateManifests(manifests);
      if (problems.length > 0) {
        throw new CutoverError('CUT_ERR_KUBE_UNSUPPORTED', `rendered objects fail their schemas:\n  ${problems.join('\n  ')}`, {
          hint: 'this is a bug in cutover if cutover.yml validated: please report it with the file',
        });
      }
    }
    if (out.json) out.result({ manifests });
    else process.stdout.write(manifestsToYaml(manifests));
    return 0;
  },
};
