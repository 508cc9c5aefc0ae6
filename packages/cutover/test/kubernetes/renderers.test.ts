// The pure renderers on small files: exact objects for rolling, canary and ingress, the keys the
// cluster cannot express (one error naming each), and the kubernetes: section's own validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigProblem, parseConfigText } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { type RenderedManifests, renderManifests } from '../../src/kubernetes/render-manifests.ts';
import { smokeScript } from '../../src/kubernetes/render-smoke-template.ts';
import { validateManifests } from '../../src/kubernetes/validate-manifests.ts';

const FILE = '/srv/shop/cutover.yml';
const K8S = 'kubernetes:\n  namespace: shop\n  image: reg.example/shop:{release}\n  secretName: shop\n';

function render(yaml: string, release = 'v2'): RenderedManifests {
  return renderManifests(parseConfigText(yaml, FILE), { release });
}

function unsupportedOf(yaml: string): string[] {
  try {
    render(yaml);
  } catch (error) {
    assert.ok(error instanceof CutoverError, String(error));
    assert.equal(error.code, 'CUT_ERR_KUBE_UNSUPPORTED');
    return (error.details.unsupported as { path: string }[]).map((p) => p.path);
  }
  assert.fail('expected CUT_ERR_KUBE_UNSUPPORTED');
}

function problemsOf(yaml: string): string[] {
  try {
    parseConfigText(yaml, FILE);
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    return (error.details.problems as ConfigProblem[]).map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the config to be rejected');
}

// biome-ignore lint/suspicious/noExplicitAny: rendered objects read field by field
const byKind = (r: RenderedManifests, kind: string) => r.manifests.filter((m) => m.kind === kind) as any[];

test('rolling: a Deployment with maxSurge from batchSize and no loss of capacity, a worker Deployment, a Service', async () => {
  const rendered = render(
    [
      'service: shop',
      'processes:',
      '  web: { command: node server.js, instances: 4, stopTimeoutMs: 20s, health: { type: http, path: /up, intervalMs: 2s, timeoutMs: 1s, unhealthyThreshold: 2, startTimeoutMs: 30s } }',
      '  worker: { command: node worker.js, instances: 2, portEnv: null, health: { type: process } }',
      'rollout: { strategy: rolling, batchSize: 2, healthTimeoutMs: 2m }',
      'env: { NODE_ENV: production }',
      'secrets: { DATABASE_URL: { file: .secrets/db } }',
      K8S,
    ].join('\n'),
  );
  assert.deepEqual(
    rendered.manifests.map((m) => `${m.kind}/${m.metadata.name}`),
    ['Service/shop', 'Deployment/shop', 'Deployment/shop-worker'],
  );
  const [web, worker] = byKind(rendered, 'Deployment');
  assert.deepEqual(web.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } });
  assert.equal(web.spec.replicas, 4);
  assert.equal(web.spec.progressDeadlineSeconds, 120);
  const container = web.spec.template.spec.containers[0];
  assert.deepEqual(container.readinessProbe, {
    httpGet: { path: '/up', port: 'http' },
    periodSeconds: 2,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 2,
  });
  assert.deepEqual(container.startupProbe.failureThreshold, 30, 'startTimeoutMs 30 s at one probe a second');
  assert.deepEqual(container.env, [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'PORT', value: '8080' },
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'shop', key: 'DATABASE_URL' } } },
  ]);
  assert.deepEqual(container.lifecycle, { preStop: { sleep: { seconds: 5 } } });
  assert.equal(web.spec.template.spec.terminationGracePeriodSeconds, 25, 'stop timeout plus the preStop sleep');
  assert.equal(worker.spec.template.spec.containers[0].ports, undefined);
  assert.equal(worker.spec.template.spec.containers[0].readinessProbe, undefined);
  assert.equal(web.spec.template.metadata.annotations['cutover.dev/release'], 'v2');
  assert.deepEqual(await validateManifests(rendered.manifests), []);
});

test('canary without a router: replica-count weights, setWeight/pause steps, a web metric, no traffic routing', async () => {
  const rendered = render(
    [
      'service: shop',
      'processes: { web: { command: node server.js, instances: 4 } }',
      'rollout:',
      '  strategy: canary',
      '  steps:',
      '    - setWeight: 10',
      '    - pause: { durationMs: 90s }',
      '    - pause: {}',
      '    - analysis:',
      '        metrics:',
      '          - { name: ok, provider: { kind: http, url: "http://checker/{{release}}", jsonPath: $.value }, min: 0.99, onNoData: fail }',
      '    - setWeight: 60',
      K8S,
      '  route: { kind: ingress, className: nginx, hosts: [shop.example.com], tlsSecret: shop-tls }',
    ].join('\n'),
  );
  const rollout = byKind(rendered, 'Rollout')[0];
  assert.equal(rollout.spec.strategy.canary.trafficRouting, undefined);
  assert.deepEqual(rollout.spec.strategy.canary.steps, [
    { setWeight: 10 },
    { pause: { duration: '90s' } },
    { pause: {} },
    {
      analysis: {
        templates: [{ templateName: 'shop-step-4' }],
        args: [
          { name: 'release', value: 'v2' },
          { name: 'baseline', value: 'v2' },
        ],
      },
    },
    { setWeight: 60 },
  ]);
  const metric = byKind(rendered, 'AnalysisTemplate')[0].spec.metrics[0];
  assert.equal(metric.provider.web.url, 'http://checker/{{args.release}}');
  assert.equal(metric.provider.web.jsonPath, '{$.value}');
  assert.equal(metric.failureCondition, 'isNaN(asFloat(result)) || asFloat(result) < 0.99', 'no data fails with onNoData: fail');
  const ingress = byKind(rendered, 'Ingress')[0];
  assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, 'shop');
  assert.deepEqual(
    byKind(rendered, 'Service').map((s) => s.metadata.name),
    ['shop', 'shop-canary'],
  );
  assert.deepEqual(await validateManifests(rendered.manifests), []);
});

test('no data is never a success: an empty Prometheus result is inconclusive unless onNoData is fail', () => {
  const rendered = render(
    [
      'service: shop',
      'processes: { web: { command: node server.js } }',
      'rollout:',
      '  strategy: blueGreen',
      '  prePromotionAnalysis:',
      '    prometheus: { address: "http://prom:9090" }',
      '    metrics:',
      '      - { name: p99, provider: { kind: prometheus, query: "q{release=\\"{{release}}\\"}[{{window}}]", reduce: max }, max: 300, min: 0, intervalMs: 30s, windowMs: 5m, count: 4, failureLimit: 1, inconclusiveLimit: 2, dryRun: false }',
      '      - { name: shadow, provider: { kind: prometheus, query: "x" }, max: 1, dryRun: true }',
      K8S,
    ].join('\n'),
  );
  const template = byKind(rendered, 'AnalysisTemplate')[0];
  const [p99] = template.spec.metrics;
  assert.equal(p99.provider.prometheus.query, 'max(q{release="{{args.release}}"}[5m])');
  assert.equal(p99.successCondition, 'len(result) > 0 && !isNaN(result[0]) && result[0] >= 0 && result[0] <= 300');
  assert.equal(p99.failureCondition, 'len(result) > 0 && !isNaN(result[0]) && (result[0] < 0 || result[0] > 300)');
  assert.deepEqual([p99.interval, p99.count, p99.failureLimit, p99.inconclusiveLimit], ['30s', 4, 1, 2]);
  assert.deepEqual(template.spec.dryRun, [{ metricName: 'shadow' }]);
});

test('every key the cluster cannot express is named in one CUT_ERR_KUBE_UNSUPPORTED', () => {
  const paths = unsupportedOf(
    [
      'service: shop',
      'processes: { web: { command: node server.js, cwd: app, secrets: { API_KEY: { file: k } } } }',
      'proxy: { pathPrefix: /shop, stripPrefix: true, sticky: { cookie: c } }',
      'hooks: { preSwitch: [echo hi] }',
      'rollout:',
      '  strategy: canary',
      '  onInconclusive: promote',
      '  scaleDownDelayMs: 1m',
      '  steps:',
      '    - setWeight: 10',
      '    - pause: { timeoutMs: 10m }',
      '    - analysis:',
      '        metrics:',
      '          - { name: p99, provider: { kind: proxy, metric: latency-p99 }, max: 500 }',
      '          - { name: cmd, provider: { kind: command, command: echo 1 }, max: 2 }',
      '          - { name: mw, provider: { kind: proxy, metric: latency-p95 }, mannWhitney: { minEffect: 5 } }',
      'kubernetes:',
      '  image: reg.example/shop:{release}',
      '  route: { kind: ingress }',
    ].join('\n'),
  );
  assert.deepEqual(paths.sort(), [
    'hooks.preSwitch',
    'processes.web.cwd',
    'processes.web.secrets.API_KEY',
    'proxy.sticky',
    'proxy.stripPrefix',
    'rollout.onInconclusive',
    'rollout.scaleDownDelayMs',
    'rollout.steps[1].pause.timeoutMs',
    'rollout.steps[2].analysis.metrics[0].provider',
    'rollout.steps[2].analysis.metrics[1].provider',
    'rollout.steps[2].analysis.metrics[2].mannWhitney',
    'rollout.steps[2].analysis.metrics[2].provider',
  ]);
});

test('a file without kubernetes: cannot be rendered, and says so', () => {
  assert.throws(
    () => render('service: shop\nprocesses: { web: { command: x } }\n'),
    (error: unknown) => error instanceof CutoverError && error.code === 'CUT_ERR_KUBE_NOT_CONFIGURED',
  );
  assert.throws(
    () => render(`service: shop\nprocesses: { web: { command: x } }\n${K8S}`, 'not a label!'),
    (error: unknown) => error instanceof CutoverError && error.code === 'CUT_ERR_CLI_BAD_ARGUMENT',
  );
});

test('the kubernetes: section is validated with paths like the rest of the file', () => {
  const problems = problemsOf(
    [
      'service: shop',
      'target: kubernetes',
      'processes: { web: { command: x } }',
      'kubernetes:',
      '  image: reg.example/shop:latest',
      '  namespace: Shop_Prod',
      '  preStopSleepMs: 1500ms',
      '  processes:',
      '    api: {}',
      '    web: { replicas: 3, autoscaling: { minReplicas: 5, maxReplicas: 2, targetCPUUtilizationPercent: 70 }, resources: { limits: { cpu: lots } } }',
    ].join('\n'),
  );
  assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), [
    'kubernetes.image',
    'kubernetes.namespace',
    'kubernetes.preStopSleepMs',
    'kubernetes.processes.api',
    'kubernetes.processes.web.autoscaling.minReplicas',
    'kubernetes.processes.web.replicas',
    'kubernetes.processes.web.resources.limits.cpu',
  ]);
  assert.deepEqual(problemsOf('service: shop\ntarget: kubernetes\nprocesses: { web: { command: x } }\n'), [
    'target: target: kubernetes needs a kubernetes: section (at least kubernetes.image)',
  ]);
});

test('a smoke check script quotes every value of cutover.yml', () => {
  const script = smokeScript(
    {
      name: 'x',
      method: 'POST',
      path: "/a'b",
      headers: { 'x-h': "it's $(rm -rf /)" },
      body: '`id`',
      expectStatus: [200, 204],
      bodyIncludes: "o'k",
      timeoutMs: 1500,
      attempts: 2,
      retryDelayMs: 1000,
    },
    'http://shop-preview.shop.svc:80',
  );
  assert.match(script, /-H 'x-h: it'"'"'s \$\(rm -rf \/\)'/);
  assert.match(script, /--data-binary '`id`'/);
  assert.match(script, /'http:\/\/shop-preview\.shop\.svc:80\/a'"'"'b'/);
  assert.match(script, /case "\$code" in 200\|204\)/);
  assert.match(script, /grep -qF -- 'o'"'"'k' \/tmp\/body/);
  assert.match(script, /--max-time 2 /);
});
