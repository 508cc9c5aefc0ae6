import type { LoadedConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { workloadConfig } from './render-container.ts';
import { assertReleaseLabel, type Manifest, type RenderContext, routedType, throwIfUnsupported, workloadName } from './render-context.ts';
import { renderDeployment } from './render-deployment.ts';
import { renderHpa } from './render-hpa.ts';
import { renderPdb } from './render-pdb.ts';
import { renderRollout } from './render-rollout.ts';
import { renderRoute } from './render-route.ts';
import { renderService } from './render-service.ts';

export interface RenderOptions {
  release: string;
  /** The release serving now ({{baseline}} in analysis queries); the release itself when none. */
  baseline?: string;
}

/** The workload that carries the routed process type, which deploy follows, status reads and rollback undoes. */
export interface PrimaryWorkload {
  apiVersion: string;
  kind: 'Deployment' | 'Rollout';
  name: string;
  namespace: string;
}

export interface RenderedManifests {
  manifests: Manifest[];
  /** Every workload, the primary (routed) one first. */
  workloads: PrimaryWorkload[];
}

/**
 * Every object of the service at one release, in apply order: analysis templates, Services, the
 * workloads (a Rollout for blueGreen and canary, Deployments otherwise), autoscalers, budgets, the
 * route. Pure: reads the validated config only, never a secret's value. Throws CUT_ERR_KUBE_UNSUPPORTED
 * naming every key the cluster cannot express.
 */
export function renderManifests(loaded: LoadedConfig, options: RenderOptions): RenderedManifests {
  const { config } = loaded;
  if (config.kubernetes === undefined) {
    throw new CutoverError('CUT_ERR_KUBE_NOT_CONFIGURED', `${loaded.file} has no kubernetes: section`, {
      where: loaded.file,
      hint: 'add one (at least kubernetes.image with {release}); docs/kubernetes.md has a worked example',
    });
  }
  assertReleaseLabel(options.release);
  const ctx: RenderContext = {
    config,
    k8s: config.kubernetes,
    release: options.release,
    baseline: options.baseline,
    env: loaded.env,
    unsupported: [],
  };
  for (const key of ['preDeploy', 'preSwitch', 'postSwitch', 'postDeploy', 'onRollback'] as const) {
    if (config.hooks[key].length > 0)
      ctx.unsupported.push({
        path: `hooks.${key}`,
        message: 'hooks run commands on the host of cutover around the switch, which a cluster rollout has no place for: run them as Jobs',
      });
  }
  const templates: Manifest[] = [];
  const services: Manifest[] = [];
  const workloads: Manifest[] = [];
  const scaling: Manifest[] = [];
  const routes: Manifest[] = [];
  const primary: PrimaryWorkload[] = [];
  const routed = routedType(config);
  const types = Object.keys(config.processes).sort((a, b) => (a === routed ? -1 : b === routed ? 1 : a.localeCompare(b)));
  for (const type of types) {
    if (!workloadConfig(ctx, type).enabled) continue;
    const name = workloadName(ctx, type);
    const progressive = type === routed && config.rollout.strategy !== 'rolling';
    if (progressive) {
      const rendered = renderRollout(ctx, type, name);
      templates.push(...rendered.templates);
      services.push(...rendered.services.map((service) => renderService(ctx, type, service)));
      workloads.push(rendered.rollout);
      const backends =
        config.rollout.strategy === 'canary'
          ? [
              { name: rendered.services[0] as string, weight: 100 },
              { name: rendered.services[1] as string, weight: 0 },
            ]
          : [{ name }];
      routes.push(...renderRoute(ctx, type, backends));
    } else {
      workloads.push(renderDeployment(ctx, type, name));
      if (type === routed) {
        services.push(renderService(ctx, type, name));
        routes.push(...renderRoute(ctx, type, [{ name }]));
      }
    }
    const kind = progressive ? 'Rollout' : 'Deployment';
    const apiVersion = progressive ? 'argoproj.io/v1alpha1' : 'apps/v1';
    primary.push({ apiVersion, kind, name, namespace: ctx.k8s.namespace });
    scaling.push(...renderHpa(ctx, type, { apiVersion, kind, name }), ...renderPdb(ctx, type, name));
  }
  throwIfUnsupported(ctx, loaded.file);
  return { manifests: [...templates, ...services, ...workloads, ...scaling, ...routes], workloads: primary };
}
