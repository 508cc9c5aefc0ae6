import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';

/**
 * The `kubernetes:` section: what the cluster needs that one host does not (an image, a namespace,
 * resources, replicas or an autoscaler, a disruption budget, Secret references, a Service and a
 * route), and `target:`, where `cutover deploy` sends a release by default. Everything else
 * (health checks, the rollout strategy and its analyses, env) comes from the rest of the file;
 * docs/kubernetes.md says what maps to what.
 */

/** kube-proxy and the gateways converge seconds after a pod leaves the endpoints: a terminating pod keeps serving this long. */
export const DEFAULT_PRE_STOP_SLEEP_MS = 5_000;
export const DEFAULT_SERVICE_PORT = 80;
export const DEFAULT_CONTAINER_PORT = 8080;
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_SMOKE_CHECK_IMAGE = 'curlimages/curl:8.11.1';
export const DEFAULT_FIELD_MANAGER = 'cutover';
export const DEFAULT_OBSERVE_TIMEOUT_MS = 120_000;

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and dashes, at most 63');
const dnsName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS name: lowercase letters, digits, dots and dashes');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
const quantity = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, 'must be a Kubernetes quantity such as 100m, 0.5, 256Mi or 1Gi'));
/** A duration the cluster takes in whole seconds. */
const seconds = () =>
  durationMs().pipe(z.number().refine((ms) => ms % 1000 === 0, 'must be whole seconds on the cluster (such as 5s or 2m)'));

const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });
const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

const probeOverride = z.strictObject({
  /** HTTP path probed (default: the health check's path). */
  path: z.string().startsWith('/').optional(),
  initialDelayMs: seconds().optional(),
  periodMs: seconds().optional(),
  timeoutMs: seconds().optional(),
  failureThreshold: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
});

const autoscaling = z
  .strictObject({
    minReplicas: z.number().int().min(1),
    maxReplicas: z.number().int().min(1),
    /** Average CPU use, in percent of the requests, the autoscaler aims at. */
    targetCPUUtilizationPercent: z.number().int().min(1).max(1000),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, { path: ['minReplicas'], message: 'must not be above maxReplicas' });

const disruptionBudget = z.union(
  [
    z.strictObject({ minAvailable: z.union([z.number().int().min(0), z.string().regex(/^\d+%$/)]) }),
    z.strictObject({ maxUnavailable: z.union([z.number().int().min(0), z.string().regex(/^\d+%$/)]) }),
  ],
  { error: 'must be { minAvailable: <n or n%> } or { maxUnavailable: <n or n%> }, one of the two' },
);

const processWorkload = z
  .strictObject({
    /** false: this process type does not run on the cluster (default true). */
    enabled: z.boolean().default(true),
    /** Fixed replicas (default: the process type's instances); leave out with autoscaling. */
    replicas: z.number().int().min(0).optional(),
    autoscaling: autoscaling.optional(),
    disruptionBudget: disruptionBudget.optional(),
    resources: resources.optional(),
    /** The container's command as an argv list (default: the process type's command, run by /bin/sh -c). */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Overrides of the probes derived from the health check, in the units of the cluster. */
    probes: z
      .strictObject({ startup: probeOverride.optional(), readiness: probeOverride.optional(), liveness: probeOverride.optional() })
      .optional(),
  })
  .refine((p) => p.replicas === undefined || p.autoscaling === undefined, {
    path: ['replicas'],
    message: 'give replicas or autoscaling, not both (the autoscaler owns the replica count)',
  });

const secretRef = z.strictObject({ secret: dnsName, key: z.string().min(1).optional() });

const gatewayRoute = z.strictObject({
  kind: z.literal('gateway'),
  /** The Gateway the HTTPRoute attaches to. */
  gateway: z.strictObject({ name: dnsName, namespace: dnsLabel.optional(), sectionName: z.string().min(1).optional() }),
  /** Host names (default: proxy.hosts). */
  hostnames: z.array(z.string().min(1)).optional(),
});
const ingressRoute = z.strictObject({
  kind: z.literal('ingress'),
  className: z.string().min(1).optional(),
  /** Host names (default: proxy.hosts; none: every host). */
  hosts: z.array(z.string().min(1)).optional(),
  /** A TLS Secret for the hosts (cert-manager or your own). */
  tlsSecret: dnsName.optional(),
});

const proxyMetricQuery = z.strictObject({
  /** PromQL giving the value of the proxy metric for {{release}} on the cluster. */
  query: z.string().min(1),
  /** PromQL giving the number of observations behind it (enables minSamples). */
  countQuery: z.string().min(1).optional(),
});

export const kubernetesSchema = z.strictObject({
  namespace: dnsLabel.default('default'),
  /** The kubeconfig context to use (default: the current context of $KUBECONFIG or ~/.kube/config). */
  context: z.string().min(1).optional(),
  /** Container image with {release}, e.g. registry.example.com/shop:{release}. */
  image: z.string().includes('{release}', { message: 'must contain {release}' }),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  imagePullSecrets: z.array(dnsName).default([]),
  /** Port the container listens on; the routed process type's portEnv is set to it. */
  containerPort: z.number().int().min(1).max(65_535).default(DEFAULT_CONTAINER_PORT),
  /** Labels added to every object. */
  labels: z.record(z.string(), z.string()).default({}),
  /** The Service in front of the routed process type. */
  service: z
    .strictObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
      port: z.number().int().min(1).max(65_535).default(DEFAULT_SERVICE_PORT),
    })
    .default({ type: 'ClusterIP', port: DEFAULT_SERVICE_PORT }),
  route: z.discriminatedUnion('kind', [gatewayRoute, ingressRoute]).optional(),
  /** Env values that differ on the cluster (paths, hosts), on top of env: and the process type's env. */
  env: z.record(envName, z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  /** The Secret every secret of cutover.yml is read from (key: the env var's name), unless secretRefs names another. */
  secretName: dnsName.optional(),
  /** Env var → { secret, key }: where one secret lives on the cluster. */
  secretRefs: z.record(envName, secretRef).default({}),
  processes: z.record(z.string(), processWorkload).default({}),
  /** A stuck rollout is failed (and undone) after this long without progress (default: rollout.healthTimeoutMs). */
  progressDeadlineMs: seconds().optional(),
  /** The Deployment or Argo Rollouts controller must pick a new spec up within this long, else the deploy fails (is it running?). */
  observeTimeoutMs: durationMs().default(DEFAULT_OBSERVE_TIMEOUT_MS),
  revisionHistoryLimit: z.number().int().min(1).default(DEFAULT_REVISION_HISTORY_LIMIT),
  /** A terminating pod keeps serving this long (a preStop sleep) so routing converges before it stops. */
  preStopSleepMs: seconds().default(DEFAULT_PRE_STOP_SLEEP_MS),
  /** What the analyses read on the cluster, where no cutover proxy counts requests. */
  analysis: z
    .strictObject({
      /** Prometheus for proxy metrics (default: the analysis's own prometheus.address). */
      prometheus: z.strictObject({ address: z.url() }).optional(),
      /** PromQL standing in for each proxy metric the analyses use. */
      proxyMetrics: z.record(z.string(), proxyMetricQuery).default({}),
    })
    .default({ proxyMetrics: {} }),
  /** Image of the Job that runs the blue-green smoke checks against the preview Service (needs sh and curl). */
  smokeCheckImage: z.string().min(1).default(DEFAULT_SMOKE_CHECK_IMAGE),
  /** Field manager of the server-side apply. */
  fieldManager: z.string().min(1).default(DEFAULT_FIELD_MANAGER),
});

/** Top-level keys spread into the cutover.yml schema. */
export const kubernetesSectionSchema = {
  /** Where `cutover deploy` sends a release when --target is not given: the agent on this host (default) or the cluster. */
  target: z.enum(['agent', 'kubernetes']).default('agent'),
  kubernetes: kubernetesSchema.optional(),
};

export type KubernetesConfig = z.output<typeof kubernetesSchema>;
export type KubernetesProcessConfig = z.output<typeof processWorkload>;
export type ProbeOverride = z.output<typeof probeOverride>;
