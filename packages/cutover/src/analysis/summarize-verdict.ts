import type { AnalysisMetric } from '../config/schema-analysis.ts';
import type { AnalysisResult, MeasurementRecord, MetricResult, Verdict } from './analysis-result.ts';

function lastWith(records: readonly MeasurementRecord[], verdict: Verdict): MeasurementRecord | undefined {
  return (
    records.findLast((record) => record.verdict === verdict && record.extension === null) ?? records.findLast((r) => r.verdict === verdict)
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Why a metric ended as it did, in one line: the deciding measurement's reason plus the counts behind it. */
export function describeMetricResult(
  result: Omit<MetricResult, 'reason'>,
  metric: Pick<AnalysisMetric, 'count' | 'consecutiveErrorLimit' | 'inconclusiveLimit'>,
  label: string,
  release: string,
): string {
  const { tally, measurements } = result;
  const on = `on ${label} ${release}`;
  const prefix = result.dryRun ? '(dry run) ' : '';
  if (measurements.length === 0) return `${prefix}${result.name}: stopped before its first measurement ${on}`;
  const last = lastWith(measurements, result.verdict) ?? measurements[measurements.length - 1];
  const of = `of ${plural(tally.judged, 'measurement')}`;
  switch (result.verdict) {
    case 'pass':
      return `${prefix}${last.reason} ${on} (${tally.passed} ${of} passed)`;
    case 'fail':
      return `${prefix}${last.reason} ${on} (${tally.failed} ${of} failed)`;
    case 'error': {
      const why =
        tally.consecutiveErrors > metric.consecutiveErrorLimit
          ? `${plural(tally.consecutiveErrors, 'consecutive error')}, limit ${metric.consecutiveErrorLimit}`
          : `${plural(tally.errors, 'error')} and no successful measurement`;
      return `${prefix}${last.reason} ${on} (${why})`;
    }
    case 'inconclusive': {
      const why =
        tally.inconclusive > metric.inconclusiveLimit
          ? `${tally.inconclusive} ${of} inconclusive, limit ${metric.inconclusiveLimit}`
          : result.complete
            ? `${tally.inconclusive} ${of} inconclusive, none passed`
            : `stopped after ${tally.judged} of ${metric.count === 'until-stopped' ? 'unlimited' : metric.count} measurements`;
      return `${prefix}${last.reason} ${on} (${why})`;
    }
  }
}

/**
 * The analysis in one line for humans, e.g.
 * "fail: error-rate 5.2% > max 1% on canary v2 (3 of 3 measurements failed)".
 */
export function summarizeVerdict(result: AnalysisResult): string {
  const deciding = result.metrics.filter((metric) => !metric.dryRun);
  const dryRunNotes = result.metrics
    .filter((metric) => metric.dryRun && metric.verdict !== 'pass')
    .map((metric) => `${metric.name} ${metric.verdict}`);
  const dryRun = dryRunNotes.length > 0 ? ` [dry run: ${dryRunNotes.join(', ')}]` : '';
  const stopped = result.endedBy === 'signal' ? ' [stopped early]' : '';
  if (result.verdict === 'pass') {
    const reasons = deciding.map((metric) => lastWith(metric.measurements, 'pass')?.reason ?? metric.name).join('; ');
    const count = deciding.reduce((sum, metric) => sum + metric.tally.judged, 0);
    const label = `${result.releaseLabel} ${result.release}`;
    return `pass: ${plural(deciding.length, 'metric')} passed on ${label} (${plural(count, 'measurement')}): ${reasons}${stopped}${dryRun}`;
  }
  const metric = deciding.find((m) => m.name === result.decidedBy) ?? deciding.find((m) => m.verdict === result.verdict);
  return `${result.verdict}: ${metric?.reason ?? 'no metric decided'}${stopped}${dryRun}`;
}
