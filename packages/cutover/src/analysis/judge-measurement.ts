import { DEFAULT_MIN_SAMPLES } from '../config/defaults.ts';
import type { AnalysisMetric, MannWhitneyConfig } from '../config/schema-analysis.ts';
import { formatNumber, formatValue, metricUnit } from './format-value.ts';
import { type Alternative, mannWhitneyU } from './mann-whitney.ts';
import type { MeasuredValue, MeasurementValue } from './metric-provider.ts';
import { median } from './sample-stats.ts';

export type ConditionName = 'min' | 'max' | 'maxRatioToBaseline' | 'minRatioToBaseline' | 'mannWhitney';

/** One condition applied to one measurement: what was compared with what, and how it came out. */
export interface ConditionCheck {
  condition: ConditionName;
  passed: boolean;
  /** The compared number: the value, the ratio to the baseline, or the p-value. */
  actual: number;
  /** The threshold: min, max, the ratio limit, or alpha. */
  limit: number;
  /** One line for humans, e.g. "error-rate 5.2% > max 1%". */
  text: string;
  /** Extra facts (p-value, medians, effect) for the record. */
  details?: Record<string, number | string>;
}

/** A measurement judged against its conditions, before the no-data policy is applied. */
export interface Judgement {
  outcome: 'pass' | 'fail' | 'no-data' | 'error';
  reason: string;
  checks: ConditionCheck[];
}

/** Whether judging the metric needs the baseline release measured too. */
export function needsBaseline(metric: AnalysisMetric): boolean {
  return metric.maxRatioToBaseline !== undefined || metric.minRatioToBaseline !== undefined || metric.mannWhitney !== undefined;
}

/**
 * Judges one measurement. The order is deliberate: an error or missing data is never judged (so it
 * can never pass); absolute thresholds come before the baseline, so a canary that breaks `max`
 * fails even when the baseline has no data (Kayenta #799); baseline-relative conditions need a
 * baseline with data, and lacking one is no data, not a pass.
 */
export function judgeMeasurement(metric: AnalysisMetric, canary: MeasurementValue, baseline: MeasurementValue | null): Judgement {
  if (canary.outcome === 'error') return { outcome: 'error', reason: `${metric.name}: ${canary.reason}`, checks: [] };
  if (canary.outcome === 'no-data') return { outcome: 'no-data', reason: `${metric.name}: no data: ${canary.reason}`, checks: [] };
  const minSamples = metric.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (canary.sampleCount !== null && canary.sampleCount < minSamples) {
    return {
      outcome: 'no-data',
      reason: `${metric.name}: no data: only ${canary.sampleCount} samples (minSamples ${minSamples})`,
      checks: [],
    };
  }
  const unit = metricUnit(metric);
  const show = (value: number) => formatValue(value, unit);
  const checks: ConditionCheck[] = [];
  if (metric.min !== undefined) {
    const passed = canary.value >= metric.min;
    const text = `${metric.name} ${show(canary.value)} ${passed ? '>=' : '<'} min ${show(metric.min)}`;
    checks.push({ condition: 'min', passed, actual: canary.value, limit: metric.min, text });
  }
  if (metric.max !== undefined) {
    const passed = canary.value <= metric.max;
    const text = `${metric.name} ${show(canary.value)} ${passed ? '<=' : '>'} max ${show(metric.max)}`;
    checks.push({ condition: 'max', passed, actual: canary.value, limit: metric.max, text });
  }
  const absoluteFailure = checks.find((check) => !check.passed);
  if (absoluteFailure) return { outcome: 'fail', reason: absoluteFailure.text, checks };
  if (needsBaseline(metric)) {
    if (baseline === null) return { outcome: 'error', reason: `${metric.name}: the baseline was not measured`, checks };
    if (baseline.outcome === 'error') return { outcome: 'error', reason: `${metric.name}: baseline: ${baseline.reason}`, checks };
    if (baseline.outcome === 'no-data')
      return { outcome: 'no-data', reason: `${metric.name}: no data on the baseline: ${baseline.reason}`, checks };
    if (baseline.sampleCount !== null && baseline.sampleCount < minSamples) {
      const reason = `${metric.name}: no data on the baseline: only ${baseline.sampleCount} samples (minSamples ${minSamples})`;
      return { outcome: 'no-data', reason, checks };
    }
    const ratio = ratioChecks(metric, canary, baseline, show);
    if ('error' in ratio) return { outcome: 'error', reason: ratio.error, checks };
    checks.push(...ratio.checks);
    if (metric.mannWhitney !== undefined) {
      const rank = mannWhitneyCheck(metric.name, metric.mannWhitney, canary, baseline, show);
      if ('outcome' in rank) return { ...rank, checks };
      checks.push(rank);
    }
  }
  const failure = checks.find((check) => !check.passed);
  if (failure) return { outcome: 'fail', reason: failure.text, checks };
  return { outcome: 'pass', reason: checks.map((check) => check.text).join('; '), checks };
}

function ratioChecks(
  metric: AnalysisMetric,
  canary: MeasuredValue,
  baseline: MeasuredValue,
  show: (value: number) => string,
): { checks: ConditionCheck[] } | { error: string } {
  if (metric.maxRatioToBaseline === undefined && metric.minRatioToBaseline === undefined) return { checks: [] };
  if (canary.value < 0 || baseline.value < 0) {
    return { error: `${metric.name}: a ratio to the baseline needs values >= 0 (got ${show(canary.value)} vs ${show(baseline.value)})` };
  }
  const denominator = Math.max(baseline.value, metric.baselineFloor);
  // 0 vs 0 is "the same"; anything above a zero baseline (with no floor) is infinitely worse.
  const ratio = denominator === 0 ? (canary.value === 0 ? 1 : Number.POSITIVE_INFINITY) : canary.value / denominator;
  const versus = `(${show(canary.value)} vs ${show(baseline.value)}${denominator > baseline.value ? `, floor ${show(denominator)}` : ''})`;
  const details = { baselineValue: baseline.value, denominator };
  const checks: ConditionCheck[] = [];
  if (metric.maxRatioToBaseline !== undefined) {
    const passed = ratio <= metric.maxRatioToBaseline;
    const text = `${metric.name} ratio to baseline ${formatNumber(ratio)} ${versus} ${passed ? '<=' : '>'} max ${formatNumber(metric.maxRatioToBaseline)}`;
    checks.push({ condition: 'maxRatioToBaseline', passed, actual: ratio, limit: metric.maxRatioToBaseline, text, details });
  }
  if (metric.minRatioToBaseline !== undefined) {
    const passed = ratio >= metric.minRatioToBaseline;
    const text = `${metric.name} ratio to baseline ${formatNumber(ratio)} ${versus} ${passed ? '>=' : '<'} min ${formatNumber(metric.minRatioToBaseline)}`;
    checks.push({ condition: 'minRatioToBaseline', passed, actual: ratio, limit: metric.minRatioToBaseline, text, details });
  }
  return { checks };
}

const ALTERNATIVES: Record<MannWhitneyConfig['direction'], Alternative> = { increase: 'greater', decrease: 'less', either: 'two-sided' };

/**
 * Fails only when the difference is both statistically significant and large enough to matter:
 * with thousands of requests a 1 ms slowdown is "significant", and must still not stop a rollout.
 */
function mannWhitneyCheck(
  name: string,
  config: MannWhitneyConfig,
  canary: MeasuredValue,
  baseline: MeasuredValue,
  show: (value: number) => string,
): ConditionCheck | Omit<Judgement, 'checks'> {
  if (canary.samples === undefined || baseline.samples === undefined) {
    return { outcome: 'error', reason: `${name}: mannWhitney needs individual samples, and the provider gave a single value` };
  }
  const sizes = `${canary.samples.length} canary vs ${baseline.samples.length} baseline samples`;
  if (canary.samples.length < config.minSamples || baseline.samples.length < config.minSamples) {
    return { outcome: 'no-data', reason: `${name}: no data: ${sizes}, the rank test needs ${config.minSamples} on each side` };
  }
  const test = mannWhitneyU(canary.samples, baseline.samples, { alternative: ALTERNATIVES[config.direction] });
  const canaryMedian = median(canary.samples);
  const baselineMedian = median(baseline.samples);
  const signed = canaryMedian - baselineMedian;
  const effect = config.direction === 'increase' ? signed : config.direction === 'decrease' ? -signed : Math.abs(signed);
  const effectPercent = baselineMedian === 0 ? (effect > 0 ? Number.POSITIVE_INFINITY : 0) : (effect / Math.abs(baselineMedian)) * 100;
  const significant = test.pValue < config.alpha;
  const largeEnough =
    effect > 0 &&
    (config.minEffect === undefined || effect >= config.minEffect) &&
    (config.minEffectPercent === undefined || effectPercent >= config.minEffectPercent);
  const floor = [
    config.minEffect === undefined ? undefined : show(config.minEffect),
    config.minEffectPercent === undefined ? undefined : `${formatNumber(config.minEffectPercent)}%`,
  ]
    .filter((part) => part !== undefined)
    .join(' and ');
  const p = `p=${formatNumber(test.pValue)}`;
  const signedPercent =
    baselineMedian === 0 ? Math.sign(signed) * Number.POSITIVE_INFINITY || 0 : (signed / Math.abs(baselineMedian)) * 100;
  const plus = signed >= 0 ? '+' : '';
  const medians = `median ${show(canaryMedian)} vs ${show(baselineMedian)} (${plus}${show(signed)}, ${plus}${formatNumber(signedPercent)}%)`;
  const change = config.direction === 'either' ? 'change' : config.direction;
  let text: string;
  if (!significant) text = `${name}: no significant ${change} against the baseline (${p} >= alpha ${config.alpha}, ${sizes})`;
  else if (!largeEnough) text = `${name}: significant ${change} (${p}) but ${medians} is below the effect floor ${floor}`;
  else
    text = `${name}: significant ${change} against the baseline (${p} < alpha ${config.alpha}), ${medians} reaches the effect floor ${floor}`;
  const details = {
    pValue: test.pValue,
    u: test.u,
    method: test.method,
    canaryMedian,
    baselineMedian,
    effect,
    effectPercent,
    canarySamples: canary.samples.length,
    baselineSamples: baseline.samples.length,
  };
  return { condition: 'mannWhitney', passed: !(significant && largeEnough), actual: test.pValue, limit: config.alpha, text, details };
}
