// The compliance service's manifests, checked in as golden files and validated against the
// Kubernetes, Gateway API and Argo Rollouts schemas. UPDATE_GOLDEN=1 rewrites them after a
// deliberate change (review the diff).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.ts';
import { manifestsToYaml } from '../../src/kubernetes/manifest-yaml.ts';
import { renderHelmChart } from '../../src/kubernetes/render-helm-chart.ts';
import { renderManifests } from '../../src/kubernetes/render-manifests.ts';
import { validateManifests } from '../../src/kubernetes/validate-manifests.ts';

const COMPLIANCE = fileURLToPath(new URL('../../../../services/compliance', import.meta.url));
const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));

function checkGolden(name: string, text: string): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden(name), text);
  assert.equal(text, readFileSync(golden(name), 'utf8'), `${name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)`);
}

for (const [file, name] of [
  ['cutover.yml', 'compliance.blue-green.yaml'],
  ['cutover.canary.yml', 'compliance.canary.yaml'],
] as const) {
  test(`compliance ${file} renders exactly ${name}, and every object passes its schema`, async () => {
    const loaded = loadConfig(COMPLIANCE, file);
    const { manifests, workloads } = renderManifests(loaded, { release: 'v2', baseline: 'v1' });
    checkGolden(name, manifestsToYaml(manifests));
    assert.deepEqual(await validateManifests(manifests), []);
    assert.deepEqual(workloads[0], {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'compliance',
      namespace: 'tickettoken-prod',
    });
    // No secret value reaches a manifest: every secret of cutover.yml is a secretKeyRef.
    const text = JSON.stringify(manifests);
    for (const secret of Object.keys(loaded.config.secrets))
      assert.match(text, new RegExp(`"name":"${secret}","valueFrom":\\{"secretKeyRef"`));
    assert.doesNotMatch(text, /read-secret\.sh/);
  });
}

test('the guide numbers land where the guide had them: probes, HPA 3-10, resources, 24 h of blue', () => {
  const { manifests } = renderManifests(loadConfig(COMPLIANCE), { release: 'v2' });
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects read field by field
  const rollout = manifests.find((m) => m.kind === 'Rollout') as any;
  const container = rollout.spec.template.spec.containers[0];
  assert.deepEqual(
    [container.startupProbe, container.readinessProbe, container.livenessProbe].map((p) => [
      p.httpGet.path,
      p.initialDelaySeconds,
      p.periodSeconds,
      p.timeoutSeconds,
      p.failureThreshold,
    ]),
    [
      ['/health/live', 5, 5, 5, 30],
      ['/health/ready', 5, 5, 5, 3],
      ['/health/live', 10, 10, 5, 3],
    ],
  );
  assert.deepEqual(container.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects read field by field
  const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler') as any;
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.kind], [3, 10, 'Rollout']);
  assert.equal(rollout.spec.replicas, undefined, 'the autoscaler owns the replica count');
  assert.equal(rollout.spec.strategy.blueGreen.scaleDownDelaySeconds, 86_400);
});

test('the Helm chart carries the release and the guide canary.enabled and canary.weight', async () => {
  const chart = renderHelmChart(loadConfig(COMPLIANCE), 'v2');
  checkGolden('compliance.helm.values.yaml', chart.files['values.yaml'] as string);
  const template = chart.files['templates/manifests.yaml'] as string;
  assert.match(template, /^\{\{- if \.Values\.canary\.enabled \}\}/);
  assert.match(template, /setWeight: \{\{ int \.Values\.canary\.weight \}\}/);
  assert.match(template, /image: tickettoken\/compliance-service:\{\{ \.Values\.release \}\}/);
  assert.doesNotMatch(template, /cutover-helm-/);
  // Both branches, with the values filled in as Helm would, are valid manifests.
  const [canary, configured] = template
    .replace(/^\{\{- if \.Values\.canary\.enabled \}\}\n/, '')
    .replace(/\{\{- end \}\}\n$/, '')
    .split('{{- else }}\n')
    .map((branch) => branch.replaceAll('{{ .Values.release }}', 'v2').replaceAll('{{ int .Values.canary.weight }}', '5'));
  const { parseAllDocuments } = await import('yaml');
  for (const branch of [canary, configured]) {
    const docs = parseAllDocuments(branch as string).map((d) => d.toJS());
    assert.deepEqual(await validateManifests(docs), []);
  }
  const canaryRollout = parseAllDocuments(canary as string)
    .map((d) => d.toJS())
    .find((d) => d.kind === 'Rollout');
  assert.deepEqual(canaryRollout.spec.strategy.canary.steps, [{ setWeight: 5 }, { pause: {} }]);
});
