import type { HealthCheckConfig, ProcessTypeConfig } from '../config/schema.ts';
import type { KubernetesProcessConfig, ProbeOverride } from '../config/schema-kubernetes.ts';
import {
  RELEASE_ANNOTATION,
  RELEASE_LABEL,
  type RenderContext,
  routedType,
  selectorLabels,
  toSeconds,
  unsupported,
} from './render-context.ts';

export const CONTAINER_PORT_NAME = 'http';

/** The pod template of one process type at this release: one container, its env, Secret references and probes. */
export function renderPodTemplate(ctx: RenderContext, type: string): Record<string, unknown> {
  const process = ctx.config.processes[type] as ProcessTypeConfig;
  const workload = workloadConfig(ctx, type);
  const routed = type === routedType(ctx.config);
  const hasPort = process.portEnv !== null;
  if (process.cwd !== undefined)
    unsupported(
      ctx,
      `processes.${type}.cwd`,
      'a working directory inside the release has no meaning in an image: set WORKDIR in the image',
    );
  const container: Record<string, unknown> = {
    name: type,
    image: ctx.k8s.image.replaceAll('{release}', ctx.release),
    imagePullPolicy: ctx.k8s.imagePullPolicy,
    command: workload.command ?? ['/bin/sh', '-c', `exec ${process.command}`],
    env: renderEnv(ctx, type, process),
    ...(hasPort ? { ports: [{ name: CONTAINER_PORT_NAME, containerPort: ctx.k8s.containerPort, protocol: 'TCP' }] } : {}),
    ...(workload.resources ? { resources: workload.resources } : {}),
    ...renderProbes(ctx, type, process.health, workload.probes, hasPort),
    ...(routed && ctx.k8s.preStopSleepMs > 0 ? { lifecycle: { preStop: { sleep: { seconds: toSeconds(ctx.k8s.preStopSleepMs) } } } } : {}),
  };
  return {
    metadata: {
      labels: { ...ctx.k8s.labels, ...selectorLabels(ctx, type), [RELEASE_LABEL]: ctx.release },
      annotations: { [RELEASE_ANNOTATION]: ctx.release },
    },
    spec: {
      ...(ctx.k8s.imagePullSecrets.length > 0 ? { imagePullSecrets: ctx.k8s.imagePullSecrets.map((name) => ({ name })) } : {}),
      // The app's own stop (SIGTERM, then its grace) comes after the preStop sleep.
      terminationGracePeriodSeconds: toSeconds(process.stopTimeoutMs + (routed ? ctx.k8s.preStopSleepMs : 0)),
      containers: [container],
    },
  };
}

export function workloadConfig(ctx: RenderContext, type: string): KubernetesProcessConfig {
  return ctx.k8s.processes[type] ?? { enabled: true };
}

/** Plain values first (env files, env:, the process type's env, kubernetes.env), then the secrets as secretKeyRefs. */
function renderEnv(ctx: RenderContext, type: string, process: ProcessTypeConfig): Record<string, unknown>[] {
  const plain: Record<string, string> = { ...ctx.env, ...process.env, ...ctx.k8s.env };
  if (process.portEnv !== null) plain[process.portEnv] = String(ctx.k8s.containerPort);
  const secrets = { ...ctx.config.secrets, ...process.secrets };
  const entries: Record<string, unknown>[] = Object.entries(plain)
    .filter(([name]) => !(name in secrets))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  for (const name of Object.keys(secrets).sort()) {
    const ref = ctx.k8s.secretRefs[name];
    const secret = ref?.secret ?? ctx.k8s.secretName;
    if (secret === undefined) {
      const where = name in process.secrets ? `processes.${type}.secrets.${name}` : `secrets.${name}`;
      unsupported(
        ctx,
        where,
        'a secret is read on the cluster from a Secret, never from a file or a command: set kubernetes.secretName or kubernetes.secretRefs.' +
          name,
      );
      continue;
    }
    entries.push({ name, valueFrom: { secretKeyRef: { name: secret, key: ref?.key ?? name } } });
  }
  return entries;
}

type ProbeKind = 'startup' | 'readiness' | 'liveness';

/** The health check as three probes: startup (the start timeout), readiness (the health check), liveness (the same, unless overridden). */
function renderProbes(
  ctx: RenderContext,
  type: string,
  health: HealthCheckConfig | undefined,
  overrides: KubernetesProcessConfig['probes'],
  hasPort: boolean,
): Record<string, unknown> {
  if (health === undefined || health.type === 'process') return {};
  if (health.type === 'http' && health.expectStatus !== undefined && health.expectStatus.some((s) => s < 200 || s >= 400)) {
    unsupported(ctx, `processes.${type}.health.expectStatus`, 'a Kubernetes httpGet probe passes on 200-399 only: drop the other codes');
  }
  const handler = (path: string | undefined): Record<string, unknown> => {
    if (health.type === 'http') return { httpGet: { path: path ?? health.path, port: CONTAINER_PORT_NAME } };
    if (health.type === 'tcp') return hasPort ? { tcpSocket: { port: CONTAINER_PORT_NAME } } : {};
    return { exec: { command: ['/bin/sh', '-c', health.command] } };
  };
  const base: Record<ProbeKind, Required<Omit<ProbeOverride, 'path'>>> = {
    startup: {
      initialDelayMs: 0,
      periodMs: Math.max(1000, health.startIntervalMs),
      timeoutMs: health.timeoutMs,
      failureThreshold: Math.max(1, Math.ceil(health.startTimeoutMs / Math.max(1000, health.startIntervalMs))),
      successThreshold: 1,
    },
    readiness: {
      initialDelayMs: 0,
      periodMs: health.intervalMs,
      timeoutMs: health.timeoutMs,
      failureThreshold: health.unhealthyThreshold,
      successThreshold: health.healthyThreshold,
    },
    liveness: {
      initialDelayMs: 0,
      periodMs: health.intervalMs,
      timeoutMs: health.timeoutMs,
      failureThreshold: health.unhealthyThreshold,
      successThreshold: 1,
    },
  };
  const probes: Record<string, unknown> = {};
  for (const kind of ['startup', 'readiness', 'liveness'] as const) {
    const override = overrides?.[kind] ?? {};
    if (override.path !== undefined && health.type !== 'http')
      unsupported(ctx, `kubernetes.processes.${type}.probes.${kind}.path`, `a ${health.type} health check has no path`);
    if (kind !== 'readiness' && override.successThreshold !== undefined && override.successThreshold !== 1)
      unsupported(ctx, `kubernetes.processes.${type}.probes.${kind}.successThreshold`, `must be 1 for a ${kind} probe`);
    const merged = { ...base[kind], ...stripUndefined(override) };
    probes[`${kind}Probe`] = {
      ...handler(override.path),
      ...(merged.initialDelayMs > 0 ? { initialDelaySeconds: toSeconds(merged.initialDelayMs) } : {}),
      periodSeconds: Math.max(1, toSeconds(merged.periodMs)),
      timeoutSeconds: Math.max(1, toSeconds(merged.timeoutMs)),
      successThreshold: merged.successThreshold,
      failureThreshold: merged.failureThreshold,
    };
  }
  return probes;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
