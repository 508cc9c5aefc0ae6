/**
 * Where each key of cutover.yml goes on the cluster: the object field it becomes, or why it has no
 * place there (it drives cutover's own host: the agent, the proxy, the controller's steps). Keys
 * that would change what the rollout gates on are errors when rendered (CUT_ERR_KUBE_UNSUPPORTED);
 * the ones listed here as not mapped are ignored on the cluster. docs/kubernetes.md is this table
 * in prose; `node bench/k8s-render.bench.ts` counts a file's keys with it.
 */
export interface KeyMapping {
  mapped: boolean;
  /** The field it becomes, or why it has none. */
  to: string;
}

/** Longest matching prefix wins; `[]` stands for any list index. */
const RULES: [string, KeyMapping][] = [
  ['service', { mapped: true, to: 'object names and app.kubernetes.io/name labels' }],
  ['release', { mapped: false, to: 'the cluster runs kubernetes.image with {release}; no release directory' }],
  ['processes.*.command', { mapped: true, to: 'container command (/bin/sh -c exec ...)' }],
  ['processes.*.instances', { mapped: true, to: 'spec.replicas (unless kubernetes.processes.<type>.autoscaling)' }],
  ['processes.*.portEnv', { mapped: true, to: 'env <portEnv>=kubernetes.containerPort, the named port http' }],
  ['processes.*.routed', { mapped: true, to: 'which process type gets the Service, the route and the Rollout' }],
  ['processes.*.health', { mapped: true, to: 'startupProbe, readinessProbe, livenessProbe' }],
  [
    'processes.*.restart',
    { mapped: false, to: 'the kubelet restarts without limit (CrashLoopBackOff); a crash loop shows as unavailable replicas' },
  ],
  ['processes.*.stopTimeoutMs', { mapped: true, to: 'terminationGracePeriodSeconds (plus the preStop sleep)' }],
  ['processes.*.env', { mapped: true, to: 'container env' }],
  ['processes.*.secrets', { mapped: true, to: 'env valueFrom.secretKeyRef (the file/command source is not read)' }],
  ['processes.*.cwd', { mapped: false, to: 'error: set WORKDIR in the image' }],
  ['env', { mapped: true, to: 'container env' }],
  ['envFiles', { mapped: true, to: 'container env (read when rendering)' }],
  ['secrets', { mapped: true, to: 'env valueFrom.secretKeyRef (the file/command source is not read)' }],
  ['proxy.hosts', { mapped: true, to: 'HTTPRoute hostnames / Ingress hosts' }],
  ['proxy.pathPrefix', { mapped: true, to: 'HTTPRoute PathPrefix match / Ingress path' }],
  ['proxy.stripPrefix', { mapped: true, to: 'HTTPRoute URLRewrite ReplacePrefixMatch (error with an Ingress)' }],
  ['proxy', { mapped: false, to: "cutover's proxy does not run on the cluster (drain, timeouts, metrics paths are the gateway's)" }],
  ['proxy.sticky', { mapped: false, to: 'error for a canary: the cluster splits per request' }],
  ['proxy.forceReleaseHeader', { mapped: false, to: 'error for a canary: no header routes are rendered' }],
  ['rollout.strategy', { mapped: true, to: 'Deployment RollingUpdate, or Rollout blueGreen / canary' }],
  ['rollout.batchSize', { mapped: true, to: 'rollingUpdate.maxSurge (maxUnavailable 0)' }],
  ['rollout.healthTimeoutMs', { mapped: true, to: 'progressDeadlineSeconds (unless kubernetes.progressDeadlineMs)' }],
  ['rollout.pauseMs', { mapped: false, to: 'a Deployment does not pause between batches' }],
  ['rollout.bakeMs', { mapped: false, to: 'a Deployment has no bake time after its last batch' }],
  ['rollout.smokeChecks', { mapped: true, to: 'prePromotionAnalysis Job metrics (curl against the preview Service)' }],
  ['rollout.prePromotionAnalysis', { mapped: true, to: 'blueGreen.prePromotionAnalysis AnalysisTemplate' }],
  ['rollout.postPromotionAnalysis', { mapped: true, to: 'blueGreen.postPromotionAnalysis AnalysisTemplate' }],
  ['rollout.autoPromote', { mapped: true, to: 'blueGreen.autoPromotionEnabled' }],
  ['rollout.scaleDownDelayMs', { mapped: true, to: 'scaleDownDelaySeconds' }],
  ['rollout.onInconclusive', { mapped: true, to: 'Argo pauses on Inconclusive (only pause is expressible)' }],
  ['rollout.canaryInstances', { mapped: false, to: 'Argo sizes the canary from the weight' }],
  ['rollout.steps', { mapped: true, to: 'canary.steps: setWeight, pause {duration}, analysis' }],
  ['rollout.backgroundAnalysis', { mapped: true, to: 'canary.analysis (background, from the first setWeight)' }],
  ['hooks', { mapped: false, to: 'error when set: run them as Jobs' }],
  ['agent', { mapped: false, to: 'the agent does not run on the cluster' }],
  ['keepReleases', { mapped: false, to: 'revisionHistoryLimit is kubernetes.revisionHistoryLimit' }],
  ['keepDeployments', { mapped: false, to: 'the cluster keeps revisions, not cutover records' }],
  ['migrations', { mapped: false, to: 'not run by deploy --target kubernetes: run "cutover migrate up" (or a Job) first' }],
  ['backup', { mapped: false, to: 'not run by deploy --target kubernetes' }],
  ['checks', { mapped: false, to: 'host checks (disk, load, memory...) are not run against the cluster' }],
  ['validation', { mapped: false, to: 'not run after the switch on the cluster; use postPromotionAnalysis' }],
  ['accessories', { mapped: false, to: 'databases on the cluster are not started by cutover' }],
  ['notify', { mapped: false, to: 'not sent for cluster deployments' }],
  ['tasks', { mapped: false, to: 'not rendered as CronJobs' }],
  ['target', { mapped: true, to: 'the default of --target' }],
  ['kubernetes', { mapped: true, to: 'the cluster section itself' }],
];

/** The mapping of one key path (dots, `[n]` indexes), by its longest matching rule. */
export function mappingOf(path: string): KeyMapping {
  const parts = path.replace(/\[\d*\]/g, '').split('.');
  let best: { length: number; mapping: KeyMapping } | undefined;
  for (const [rule, mapping] of RULES) {
    const ruleParts = rule.split('.');
    if (ruleParts.length > parts.length) continue;
    if (!ruleParts.every((part, i) => part === '*' || part === parts[i])) continue;
    if (best === undefined || ruleParts.length > best.length) best = { length: ruleParts.length, mapping };
  }
  return best?.mapping ?? { mapped: false, to: 'no rule (unknown key)' };
}

/** Every leaf key path of a parsed YAML document (list items of mappings indexed, lists of scalars as one key). */
export function leafKeys(value: unknown, prefix = ''): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return Object.entries(value).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
  if (Array.isArray(value) && value.some((item) => item !== null && typeof item === 'object'))
    return value.flatMap((item, index) => leafKeys(item, `${prefix}[${index}]`));
  return [prefix];
}
