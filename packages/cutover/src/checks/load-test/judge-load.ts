import type { LoadSuccessCriteria } from '../../config/schema-load-test.ts';
import { type CheckOutcome, fail, pass } from '../check-result.ts';
import type { LoadFigures } from './load-figures.ts';

/** The figures a command may report (its last output line as JSON); those it leaves out are not judged. */
export type ReportedFigures = Partial<Pick<LoadFigures, 'rateRatio' | 'p95Ms' | 'errorRate'>>;

/** Judges load figures against the success criteria, like an analysis: every criterion, each with its measured value. */
export function judgeLoad(figures: ReportedFigures, success: LoadSuccessCriteria, measured: unknown = figures): CheckOutcome {
  const failures: string[] = [];
  const judged: string[] = [];
  if (typeof figures.rateRatio === 'number') {
    judged.push(`rate held ${pct(figures.rateRatio)} (min ${pct(success.minRateRatio)})`);
    if (figures.rateRatio < success.minRateRatio)
      failures.push(`only ${pct(figures.rateRatio)} of the offered requests were answered (min ${pct(success.minRateRatio)})`);
  }
  if (success.maxP95Ms !== undefined) {
    if (typeof figures.p95Ms === 'number') {
      judged.push(`p95 ${figures.p95Ms} ms (max ${success.maxP95Ms} ms)`);
      if (figures.p95Ms > success.maxP95Ms) failures.push(`p95 latency ${figures.p95Ms} ms is above ${success.maxP95Ms} ms`);
    } else if (figures.p95Ms === null) failures.push('no request was answered, so there is no p95 latency');
  }
  if (typeof figures.errorRate === 'number') {
    judged.push(`errors ${pct(figures.errorRate)} (max ${pct(success.maxErrorRate)})`);
    if (figures.errorRate > success.maxErrorRate)
      failures.push(`error rate ${pct(figures.errorRate)} is above ${pct(success.maxErrorRate)}`);
  }
  const threshold = { ...success };
  if (failures.length > 0) return fail(`${failures.join('; ')}: the release did not hold the load`, measured, threshold);
  return pass(judged.length ? judged.join(', ') : 'the load command passed (it reported no figures)', measured, threshold);
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 10_000) / 100}%`;
}
