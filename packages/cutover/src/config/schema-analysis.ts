import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';
import { DEFAULT_MIN_SAMPLES, DEFAULT_PROVIDER_TIMEOUT_MS } from './defaults.ts';
import { parseJsonPath } from './json-path.ts';
import { renderTemplate, TEMPLATE_VARIABLES, unknownPlaceholders } from './query-template.ts';

export { DEFAULT_MIN_SAMPLES, DEFAULT_PROVIDER_TIMEOUT_MS };

/**
 * One analysis definition: the metrics that judge a release (canary or green) against thresholds
 * and, optionally, against a baseline release. Not wired into cutover.yml here: the strategies
 * embed it where they need a gate. See docs/analysis.md.
 */

export const DEFAULT_ANALYSIS_INTERVAL_MS = 30_000;
export const DEFAULT_ANALYSIS_COUNT = 1;
export const DEFAULT_ANALYSIS_INITIAL_DELAY_MS = 0;
export const DEFAULT_ON_NO_DATA = 'inconclusive';
export const DEFAULT_MAX_EXTENSIONS = 3;
export const DEFAULT_FAILURE_LIMIT = 0;
export const DEFAULT_INCONCLUSIVE_LIMIT = 0;
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_ERROR_RETRY_INTERVAL_MS = 10_000;
export const DEFAULT_BASELINE_FLOOR = 0;
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
export const DEFAULT_MANN_WHITNEY_ALPHA = 0.05;
export const DEFAULT_MANN_WHITNEY_MIN_SAMPLES = 20;

/** Metrics the proxy provider computes from the agent proxy's own per-release samples. */
export const PROXY_METRICS = ['success-rate', 'error-rate', 'latency-p50', 'latency-p95', 'latency-p99', 'requests'] as const;
export type ProxyMetricName = (typeof PROXY_METRICS)[number];

/** How a provider folds several numbers (Prometheus series, a JSON array) into one value. */
export const REDUCERS = ['single', 'sum', 'avg', 'min', 'max'] as const;
export const METRIC_UNITS = ['ratio', 'percent', 'ms', 's', 'count', 'none'] as const;

const metricName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'must be letters, digits and . _ : / - (at most 100)');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
const headers = z.record(z.string(), z.string());
const positiveDuration = () => durationMs().pipe(z.number().min(1, 'must be longer than 0'));

const template = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((value, ctx) => {
    const unknown = unknownPlaceholders(value);
    if (unknown.length > 0) {
      const known = TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(', ');
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${unknown[0]}}}: the known ones are ${known}` });
    }
  });

const jsonPath = z.string().superRefine((value, ctx) => {
  const parsed = parseJsonPath(value);
  if (!Array.isArray(parsed)) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const urlTemplate = template.superRefine((value, ctx) => {
  const sample = { release: 'r', baseline: 'b', service: 's', window: '1m' };
  const rendered = renderTemplate(value, sample);
  const text = 'text' in rendered ? rendered.text : value;
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) {
    ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL (got ${JSON.stringify(value)})` });
  }
});

const reduce = z.enum(REDUCERS).default('single');

const proxyProvider = z.strictObject({
  kind: z.literal('proxy'),
  /** Built-in metric, computed from the proxy's samples of the release inside the window. */
  metric: z.enum(PROXY_METRICS),
});

const prometheusProvider = z.strictObject({
  kind: z.literal('prometheus'),
  /** Base URL of the Prometheus HTTP API (default: the analysis-level prometheus.address). */
  address: z.url().optional(),
  /** PromQL instant query; {{release}}, {{baseline}}, {{service}}, {{window}} are filled in. */
  query: template,
  /** PromQL giving the number of observations behind the value (enables minSamples). */
  countQuery: template.optional(),
  /** How several series fold into one value (default single: more than one series is an error). */
  reduce,
  /** Extra request headers (default: the analysis-level prometheus.headers). */
  headers: headers.optional(),
  /** Per request (default: the analysis-level prometheus.timeoutMs, else 10s). */
  timeoutMs: durationMs().optional(),
});

const httpProvider = z.strictObject({
  kind: z.literal('http'),
  /** URL with placeholders (values are URL-encoded). */
  url: urlTemplate,
  method: z.enum(['GET', 'POST']).default('GET'),
  headers: headers.default({}),
  /** Request body for POST, with placeholders. */
  body: template.optional(),
  /** Where the value is in the JSON answer, e.g. $.data.value or $.items[0].x. */
  jsonPath,
  /** Where the number of observations is (enables minSamples). */
  countPath: jsonPath.optional(),
  reduce,
  /** Per request (default 10s). */
  timeoutMs: durationMs().default(DEFAULT_PROVIDER_TIMEOUT_MS),
});

const commandProvider = z.strictObject({
  kind: z.literal('command'),
  /** A shell command line (run by /bin/sh) or an argv array (no shell); placeholders are filled in. */
  command: z.union([template, z.array(template).min(1)]),
  /** Where the value is when stdout is JSON (default: stdout is the value itself). */
  jsonPath: jsonPath.optional(),
  /** Where the number of observations is in the JSON stdout (enables minSamples). */
  countPath: jsonPath.optional(),
  reduce,
  /** Extra environment variables for the command. */
  env: z.record(envName, z.string()).default({}),
  /** Working directory (default: the directory the caller gives, usually the one of cutover.yml). */
  cwd: z.string().optional(),
  /** Kill the command (and its process group) after this long (default 30s). */
  timeoutMs: durationMs().default(DEFAULT_COMMAND_TIMEOUT_MS),
});

const providerSchema = z.discriminatedUnion('kind', [proxyProvider, prometheusProvider, httpProvider, commandProvider]);

const mannWhitneySchema = z
  .strictObject({
    /** Significance level of the one-sided (or two-sided for `either`) test (default 0.05). */
    alpha: z.number().gt(0).lt(1).default(DEFAULT_MANN_WHITNEY_ALPHA),
    /** Which change is bad: `increase` (canary slower, the default), `decrease`, or `either`. */
    direction: z.enum(['increase', 'decrease', 'either']).default('increase'),
    /** Smallest difference of medians, in the metric's unit, that may fail the metric. */
    minEffect: z.number().min(0).optional(),
    /** Smallest difference of medians, in percent of the baseline median, that may fail the metric. */
    minEffectPercent: z.number().min(0).optional(),
    /** Samples needed on each side before the test is run (default 20); fewer is no data. */
    minSamples: z.number().int().min(2).default(DEFAULT_MANN_WHITNEY_MIN_SAMPLES),
  })
  .refine((mw) => mw.minEffect !== undefined || mw.minEffectPercent !== undefined, {
    message: 'needs minEffect and/or minEffectPercent: without an effect-size floor, a tiny but real difference would fail the rollout',
  });

const metricSchema = z
  .strictObject({
    /** Unique within the analysis; shown in records and summaries. */
    name: metricName,
    provider: providerSchema,
    /** How values are shown: ratio (as %), percent, ms, s, count, none (default: from the proxy metric, else none). */
    unit: z.enum(METRIC_UNITS).optional(),
    /** Time between measurements (default 30s). */
    intervalMs: positiveDuration().default(DEFAULT_ANALYSIS_INTERVAL_MS),
    /** Judged measurements to take (default 1), or `until-stopped` for background analysis. */
    count: z.union([z.number().int().min(1), z.literal('until-stopped')]).default(DEFAULT_ANALYSIS_COUNT),
    /** Wait before the first measurement (default 0). */
    initialDelayMs: durationMs().default(DEFAULT_ANALYSIS_INITIAL_DELAY_MS),
    /** What each measurement looks back over (default: intervalMs). */
    windowMs: positiveDuration().optional(),
    /** Fail when the value is below this. */
    min: z.number().optional(),
    /** Fail when the value is above this. */
    max: z.number().optional(),
    /** Fail when value / baseline value is above this. */
    maxRatioToBaseline: z.number().positive().optional(),
    /** Fail when value / baseline value is below this. */
    minRatioToBaseline: z.number().min(0).optional(),
    /** The baseline value used in ratios is at least this (default 0), so a spotless baseline does not make any blip infinite. */
    baselineFloor: z.number().min(0).default(DEFAULT_BASELINE_FLOOR),
    /** Mann-Whitney U test of the canary's samples against the baseline's, with an effect-size floor. */
    mannWhitney: mannWhitneySchema.optional(),
    /** Observations a value needs before it is judged (default 1); fewer is no data. */
    minSamples: z.number().int().min(1).optional(),
    /** No data (empty result, NaN, no traffic, too few samples): fail, inconclusive (default) or extend. */
    onNoData: z.enum(['fail', 'inconclusive', 'extend']).default(DEFAULT_ON_NO_DATA),
    /** With onNoData: extend, how many extra measurements the metric may take in all (default 3); then inconclusive. */
    maxExtensions: z.number().int().min(0).default(DEFAULT_MAX_EXTENSIONS),
    /** Failed measurements tolerated (default 0): one more fails the metric. */
    failureLimit: z.number().int().min(0).default(DEFAULT_FAILURE_LIMIT),
    /** Inconclusive measurements tolerated (default 0): one more makes the metric inconclusive. */
    inconclusiveLimit: z.number().int().min(0).default(DEFAULT_INCONCLUSIVE_LIMIT),
    /** Consecutive errors tolerated (default 4): one more makes the metric an error. */
    consecutiveErrorLimit: z.number().int().min(0).default(DEFAULT_CONSECUTIVE_ERROR_LIMIT),
    /** Wait before measuring again after an error (default 10s, at most intervalMs). */
    errorRetryIntervalMs: positiveDuration().default(DEFAULT_ERROR_RETRY_INTERVAL_MS),
    /** Measure and record, but never let this metric decide the analysis (default false). */
    dryRun: z.boolean().default(false),
  })
  .superRefine((metric, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const conditions = [metric.min, metric.max, metric.maxRatioToBaseline, metric.minRatioToBaseline, metric.mannWhitney];
    if (conditions.every((condition) => condition === undefined)) {
      issue(
        [],
        'has no conditions: set min, max, maxRatioToBaseline, minRatioToBaseline or mannWhitney (a metric without conditions would pass anything)',
      );
    }
    if (metric.min !== undefined && metric.max !== undefined && metric.min > metric.max) issue(['min'], 'must not be above max');
    if (
      metric.minRatioToBaseline !== undefined &&
      metric.maxRatioToBaseline !== undefined &&
      metric.minRatioToBaseline > metric.maxRatioToBaseline
    ) {
      issue(['minRatioToBaseline'], 'must not be above maxRatioToBaseline');
    }
    const provider = metric.provider;
    if (metric.mannWhitney !== undefined && provider.kind === 'proxy' && !provider.metric.startsWith('latency-')) {
      issue(['mannWhitney'], `needs per-request samples: use it with a latency-* proxy metric, not ${provider.metric}`);
    }
    if (metric.minSamples !== undefined && metric.minSamples > 1 && !canCount(provider)) {
      const how = provider.kind === 'prometheus' ? 'provider.countQuery' : 'provider.countPath';
      issue(['minSamples'], `needs ${how}: without it the ${provider.kind} provider cannot tell how many observations a value rests on`);
    }
  })
  .transform((metric) => ({ ...metric, windowMs: metric.windowMs ?? metric.intervalMs }));

function canCount(provider: z.output<typeof providerSchema>): boolean {
  if (provider.kind === 'proxy') return true;
  if (provider.kind === 'prometheus') return provider.countQuery !== undefined;
  return provider.countPath !== undefined;
}

export const analysisSchema = z
  .strictObject({
    /** Shown in records and summaries (default: none). */
    name: metricName.optional(),
    /** Defaults for every prometheus metric of this analysis. */
    prometheus: z
      .strictObject({
        address: z.url(),
        headers: headers.default({}),
        timeoutMs: durationMs().default(DEFAULT_PROVIDER_TIMEOUT_MS),
      })
      .optional(),
    metrics: z.array(metricSchema).min(1, 'needs at least one metric'),
  })
  .superRefine((analysis, ctx) => {
    const seen = new Set<string>();
    analysis.metrics.forEach((metric, index) => {
      if (seen.has(metric.name))
        ctx.addIssue({ code: 'custom', path: ['metrics', index, 'name'], message: `${metric.name} is used twice` });
      seen.add(metric.name);
      if (metric.provider.kind === 'prometheus' && metric.provider.address === undefined && analysis.prometheus === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', index, 'provider', 'address'],
          message: 'is required (or set prometheus.address for the whole analysis)',
        });
      }
    });
    if (analysis.metrics.length > 0 && analysis.metrics.every((metric) => metric.dryRun)) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics'],
        message: 'are all dryRun: at least one metric must be able to decide the analysis',
      });
    }
  })
  .transform((analysis) => ({
    ...analysis,
    metrics: analysis.metrics.map((metric) => {
      if (metric.provider.kind !== 'prometheus') return metric;
      const defaults = analysis.prometheus;
      return {
        ...metric,
        provider: {
          ...metric.provider,
          address: metric.provider.address ?? defaults?.address,
          headers: { ...defaults?.headers, ...metric.provider.headers },
          timeoutMs: metric.provider.timeoutMs ?? defaults?.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
        },
      };
    }),
  }));

/** An analysis definition as written (durations may be strings, defaults may be left out). */
export type AnalysisDefinitionInput = z.input<typeof analysisSchema>;
/** A validated analysis definition: durations in ms, defaults filled in. */
export type AnalysisDefinition = z.output<typeof analysisSchema>;
export type AnalysisMetric = AnalysisDefinition['metrics'][number];
export type MetricProviderConfig = AnalysisMetric['provider'];
export type ProxyProviderConfig = Extract<MetricProviderConfig, { kind: 'proxy' }>;
export type PrometheusProviderConfig = Extract<MetricProviderConfig, { kind: 'prometheus' }>;
export type HttpProviderConfig = Extract<MetricProviderConfig, { kind: 'http' }>;
export type CommandProviderConfig = Extract<MetricProviderConfig, { kind: 'command' }>;
export type MannWhitneyConfig = NonNullable<AnalysisMetric['mannWhitney']>;
export type MetricUnit = (typeof METRIC_UNITS)[number];
export type Reducer = (typeof REDUCERS)[number];
