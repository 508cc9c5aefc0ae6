import { formatPromDuration } from '../config/query-template.ts';
import type { AnalysisDefinition, AnalysisMetric } from '../config/schema-analysis.ts';
import { goDuration } from './go-duration.ts';
import { type Manifest, metadata, type RenderContext, routedType, unsupported } from './render-context.ts';

/** The arguments every template takes; the Rollout passes the release and the one serving now. */
export const TEMPLATE_ARGS = ['release', 'baseline'] as const;

/**
 * cutover's analysis as an Argo Rollouts AnalysisTemplate. Each metric keeps its interval, count,
 * initial delay and limits; no data (an empty result or NaN) is never a success: with onNoData fail
 * it fails the measurement, otherwise neither condition holds and the measurement is Inconclusive
 * (extend adds its extensions to the inconclusive measurements tolerated, Argo takes no extra ones).
 */
export function renderAnalysisTemplate(ctx: RenderContext, name: string, analysis: AnalysisDefinition, path: string): Manifest {
  const metrics = analysis.metrics.map((metric, index) => renderMetric(ctx, analysis, metric, `${path}.metrics[${index}]`));
  const dryRun = analysis.metrics.filter((m) => m.dryRun).map((m) => ({ metricName: m.name }));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: metadata(ctx, name, routedType(ctx.config)),
    spec: {
      args: TEMPLATE_ARGS.map((arg) => ({ name: arg })),
      metrics: metrics.filter((m): m is Record<string, unknown> => m !== undefined),
      ...(dryRun.length > 0 ? { dryRun } : {}),
    },
  };
}

function renderMetric(
  ctx: RenderContext,
  analysis: AnalysisDefinition,
  metric: AnalysisMetric,
  path: string,
): Record<string, unknown> | undefined {
  for (const key of ['maxRatioToBaseline', 'minRatioToBaseline', 'mannWhitney'] as const) {
    if (metric[key] !== undefined)
      unsupported(ctx, `${path}.${key}`, 'Argo Rollouts judges one query at a time: compare to the baseline inside the PromQL instead');
  }
  const provider = renderProvider(ctx, analysis, metric, path);
  if (provider === undefined) return undefined;
  const value = provider.value;
  const noData = provider.kind === 'prometheus' ? `(len(result) == 0 || isNaN(${value}))` : `isNaN(${value})`;
  const hasData = provider.kind === 'prometheus' ? `len(result) > 0 && !isNaN(${value})` : `!isNaN(${value})`;
  const pass: string[] = [];
  const fail: string[] = [];
  if (metric.min !== undefined) {
    pass.push(`${value} >= ${metric.min}`);
    fail.push(`${value} < ${metric.min}`);
  }
  if (metric.max !== undefined) {
    pass.push(`${value} <= ${metric.max}`);
    fail.push(`${value} > ${metric.max}`);
  }
  if (pass.length === 0) return undefined;
  const failJoined = fail.length === 1 ? fail[0] : `(${fail.join(' || ')})`;
  const failureCondition = metric.onNoData === 'fail' ? `${noData} || ${failJoined}` : `${hasData} && ${failJoined}`;
  const inconclusiveLimit = metric.inconclusiveLimit + (metric.onNoData === 'extend' ? metric.maxExtensions : 0);
  return {
    name: metric.name,
    interval: goDuration(metric.intervalMs),
    ...(metric.initialDelayMs > 0 ? { initialDelay: goDuration(metric.initialDelayMs) } : {}),
    ...(metric.count === 'until-stopped' ? {} : { count: metric.count }),
    successCondition: `${hasData} && ${pass.join(' && ')}`,
    failureCondition,
    failureLimit: metric.failureLimit,
    inconclusiveLimit,
    consecutiveErrorLimit: metric.consecutiveErrorLimit,
    provider: provider.spec,
  };
}

interface RenderedProvider {
  kind: 'prometheus' | 'web';
  /** The expression of the measured value in the conditions. */
  value: string;
  spec: Record<string, unknown>;
}

function renderProvider(
  ctx: RenderContext,
  analysis: AnalysisDefinition,
  metric: AnalysisMetric,
  path: string,
): RenderedProvider | undefined {
  const provider = metric.provider;
  const window = formatPromDuration(metric.windowMs);
  if (provider.kind === 'proxy') {
    const mapped = ctx.k8s.analysis.proxyMetrics[provider.metric];
    const address = ctx.k8s.analysis.prometheus?.address ?? analysis.prometheus?.address;
    if (mapped === undefined || address === undefined) {
      unsupported(
        ctx,
        `${path}.provider`,
        `the proxy metric ${provider.metric} is counted by cutover's proxy, which does not run on the cluster: ` +
          `give its PromQL in kubernetes.analysis.proxyMetrics.${provider.metric} and a kubernetes.analysis.prometheus.address`,
      );
      return undefined;
    }
    return prometheus(ctx, metric, path, address, mapped.query, mapped.countQuery, 'single', window, {});
  }
  if (provider.kind === 'prometheus') {
    return prometheus(
      ctx,
      metric,
      path,
      provider.address as string,
      provider.query,
      provider.countQuery,
      provider.reduce,
      window,
      provider.headers ?? {},
      provider.timeoutMs,
    );
  }
  if (provider.kind === 'http') {
    if (provider.reduce !== 'single')
      unsupported(ctx, `${path}.provider.reduce`, 'the web provider reads one value: reduce in the endpoint');
    if ((metric.minSamples ?? 1) > 1)
      unsupported(ctx, `${path}.minSamples`, 'the web provider cannot read a count beside the value: leave minSamples out');
    return {
      kind: 'web',
      value: 'asFloat(result)',
      spec: {
        web: {
          url: argoTemplate(ctx, provider.url, window),
          method: provider.method,
          ...(Object.keys(provider.headers).length > 0 ? { headers: headerList(provider.headers) } : {}),
          ...(provider.body === undefined ? {} : { body: argoTemplate(ctx, provider.body, window) }),
          timeoutSeconds: Math.max(1, Math.ceil(provider.timeoutMs / 1000)),
          jsonPath: `{${provider.jsonPath}}`,
        },
      },
    };
  }
  unsupported(
    ctx,
    `${path}.provider`,
    'a command provider runs on the host of cutover, which the cluster has not: measure through prometheus or http instead',
  );
  return undefined;
}

function prometheus(
  ctx: RenderContext,
  metric: AnalysisMetric,
  path: string,
  address: string,
  query: string,
  countQuery: string | undefined,
  reduce: string,
  window: string,
  headers: Record<string, string>,
  timeoutMs?: number,
): RenderedProvider {
  let promql = argoTemplate(ctx, query, window);
  if (reduce !== 'single') promql = `${reduce}(${promql})`;
  const minSamples = metric.minSamples ?? 1;
  if (minSamples > 1) {
    if (countQuery === undefined) {
      unsupported(ctx, `${path}.minSamples`, 'needs a count query on the cluster (countQuery, or proxyMetrics.<metric>.countQuery)');
    } else {
      // Too few observations: the query answers nothing, which the conditions treat as no data.
      promql = `(${promql}) and on() ((${argoTemplate(ctx, countQuery, window)}) >= ${minSamples})`;
    }
  }
  return {
    kind: 'prometheus',
    value: 'result[0]',
    spec: {
      prometheus: {
        address,
        query: promql,
        ...(timeoutMs === undefined ? {} : { timeout: Math.max(1, Math.ceil(timeoutMs / 1000)) }),
        ...(Object.keys(headers).length > 0 ? { headers: headerList(headers) } : {}),
      },
    },
  };
}

/** cutover's placeholders as Argo's: the release and the baseline become template arguments, service and window are known now. */
function argoTemplate(ctx: RenderContext, text: string, window: string): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) => {
    if (name === 'release' || name === 'baseline') return `{{args.${name}}}`;
    if (name === 'service') return ctx.config.service;
    if (name === 'window') return window;
    return whole;
  });
}

function headerList(headers: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(headers).map(([key, value]) => ({ key, value }));
}
