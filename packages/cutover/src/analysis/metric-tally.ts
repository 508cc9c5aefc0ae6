import type { AnalysisMetric } from '../config/schema-analysis.ts';
import type { MetricTally, Verdict } from './analysis-result.ts';
import type { Judgement } from './judge-measurement.ts';

export const EMPTY_TALLY: MetricTally = Object.freeze({
  measurements: 0,
  judged: 0,
  passed: 0,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
  extensions: 0,
});

/** A judged measurement under the metric's no-data policy. */
export interface Classification {
  verdict: Verdict;
  noData: boolean;
  /** Counts toward `count`. Errors do not (they are retried), nor do extensions (that is their point). */
  counted: boolean;
  /** 1-based extension number when onNoData: extend measured again; null otherwise. */
  extension: number | null;
  reason: string;
}

type Policy = Pick<AnalysisMetric, 'onNoData' | 'maxExtensions'>;

/**
 * Applies onNoData. No data is never a pass: `fail` fails it, `inconclusive` counts it as
 * inconclusive, `extend` measures again without spending `count`, at most maxExtensions times in
 * all (so a canary that never gets traffic ends inconclusive in bounded time, Flagger #1035).
 */
export function classifyMeasurement(judgement: Judgement, metric: Policy, tally: MetricTally): Classification {
  switch (judgement.outcome) {
    case 'pass':
    case 'fail':
      return { verdict: judgement.outcome, noData: false, counted: true, extension: null, reason: judgement.reason };
    case 'error':
      return { verdict: 'error', noData: false, counted: false, extension: null, reason: judgement.reason };
    case 'no-data':
      if (metric.onNoData === 'fail')
        return { verdict: 'fail', noData: true, counted: true, extension: null, reason: `${judgement.reason} (onNoData: fail)` };
      if (metric.onNoData === 'extend' && tally.extensions < metric.maxExtensions) {
        const extension = tally.extensions + 1;
        const reason = `${judgement.reason}; measuring again (extension ${extension} of ${metric.maxExtensions})`;
        return { verdict: 'inconclusive', noData: true, counted: false, extension, reason };
      }
      return {
        verdict: 'inconclusive',
        noData: true,
        counted: true,
        extension: null,
        reason: metric.onNoData === 'extend' ? `${judgement.reason} (no extensions left: ${metric.maxExtensions} used)` : judgement.reason,
      };
  }
}

export function addToTally(tally: MetricTally, classification: Classification): MetricTally {
  const next = { ...tally, measurements: tally.measurements + 1 };
  if (classification.verdict === 'error') {
    return { ...next, errors: tally.errors + 1, consecutiveErrors: tally.consecutiveErrors + 1 };
  }
  next.consecutiveErrors = 0;
  if (classification.extension !== null) return { ...next, extensions: tally.extensions + 1 };
  next.judged = tally.judged + 1;
  if (classification.verdict === 'pass') next.passed = tally.passed + 1;
  else if (classification.verdict === 'fail') next.failed = tally.failed + 1;
  else next.inconclusive = tally.inconclusive + 1;
  return next;
}

type Limits = Pick<AnalysisMetric, 'failureLimit' | 'inconclusiveLimit' | 'consecutiveErrorLimit'>;

/** The verdict a limit forces as soon as it is exceeded, or null while none is. */
export function limitVerdict(metric: Limits, tally: MetricTally): Verdict | null {
  if (tally.failed > metric.failureLimit) return 'fail';
  if (tally.consecutiveErrors > metric.consecutiveErrorLimit) return 'error';
  if (tally.inconclusive > metric.inconclusiveLimit) return 'inconclusive';
  return null;
}

/**
 * The metric's verdict when it ends. A pass needs at least one passing measurement: a metric whose
 * every measurement errored is an error, never a success (Argo Rollouts #4479). A bounded metric
 * stopped before its count is inconclusive (Argo counts that as success; we do not), unless it
 * had only errors. A background metric (`until-stopped`) is judged on what it measured.
 */
export function finalVerdict(metric: Limits & Pick<AnalysisMetric, 'count'>, tally: MetricTally, complete: boolean): Verdict {
  const forced = limitVerdict(metric, tally);
  if (forced !== null) return forced;
  if (!complete && metric.count !== 'until-stopped') return tally.passed === 0 && tally.errors > 0 ? 'error' : 'inconclusive';
  if (tally.passed > 0) return 'pass';
  if (tally.failed > 0) return 'fail';
  if (tally.errors > 0) return 'error';
  return 'inconclusive';
}
