import type { ParsedConfig } from '../config/schema.ts';
import type { KubernetesConfig } from '../config/schema-kubernetes.ts';
import { CutoverError } from '../errors/cutover-error.ts';

/** A Kubernetes object as the renderers build it: plain data, serialised as YAML or applied as is. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** One key of cutover.yml that the cluster cannot express, and what to do instead. */
export interface UnsupportedKey {
  path: string;
  message: string;
}

/** Everything a renderer reads: the validated config, its kubernetes: section, the release, and a sink for problems. */
export interface RenderContext {
  config: ParsedConfig;
  k8s: KubernetesConfig;
  release: string;
  /** The release serving now, for {{baseline}} in analysis queries (unknown when rendering offline). */
  baseline: string | undefined;
  /** Env for every process type, env files and env: merged (from the loaded config). */
  env: Readonly<Record<string, string>>;
  unsupported: UnsupportedKey[];
}

export const MANAGED_BY = 'cutover';
export const RELEASE_ANNOTATION = 'cutover.dev/release';
export const RELEASE_LABEL = 'cutover.dev/release';

/** The process type the Service and the route send traffic to (web unless another says routed: true). */
export function routedType(config: ParsedConfig): string | undefined {
  return Object.entries(config.processes).find(([type, p]) => p.routed ?? type === 'web')?.[0];
}

/** The workload's name: the service's for the routed process type, <service>-<type> for the others. */
export function workloadName(ctx: RenderContext, type: string): string {
  return type === routedType(ctx.config) ? ctx.config.service : `${ctx.config.service}-${type}`;
}

/** Labels that select a process type's pods: stable across releases (a selector never changes). */
export function selectorLabels(ctx: RenderContext, type: string): Record<string, string> {
  return { 'app.kubernetes.io/name': ctx.config.service, 'app.kubernetes.io/component': type };
}

export function objectLabels(ctx: RenderContext, type?: string): Record<string, string> {
  return {
    ...ctx.k8s.labels,
    'app.kubernetes.io/name': ctx.config.service,
    ...(type === undefined ? {} : { 'app.kubernetes.io/component': type }),
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

export function metadata(ctx: RenderContext, name: string, type?: string): Manifest['metadata'] {
  return { name, namespace: ctx.k8s.namespace, labels: objectLabels(ctx, type) };
}

export function unsupported(ctx: RenderContext, path: string, message: string): void {
  ctx.unsupported.push({ path, message });
}

/** Whole seconds, as the cluster takes them (durations of the kubernetes: section are whole seconds already). */
export function toSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** A release name as a label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function assertReleaseLabel(release: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(release)) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `release ${JSON.stringify(release)} cannot label a Kubernetes object`, {
      hint: 'on the cluster a release is at most 63 letters, digits, dots, dashes and underscores, starting and ending with a letter or digit',
    });
  }
}

/** Throws one error listing every key the cluster cannot express, so all of them can be fixed at once. */
export function throwIfUnsupported(ctx: RenderContext, file: string): void {
  if (ctx.unsupported.length === 0) return;
  const lines = ctx.unsupported.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  throw new CutoverError(
    'CUT_ERR_KUBE_UNSUPPORTED',
    `${file} cannot be rendered for Kubernetes (${ctx.unsupported.length} key${ctx.unsupported.length === 1 ? '' : 's'}):\n${lines}`,
    {
      where: ctx.unsupported[0]?.path,
      hint: 'change or remove each key named (docs/kubernetes.md lists what maps to the cluster), or deploy with --target agent',
      details: { unsupported: ctx.unsupported },
    },
  );
}
