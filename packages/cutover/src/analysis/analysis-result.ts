import type { AnalysisMetric, MetricProviderConfig } from '../config/schema-analysis.ts';
import type { ConditionCheck } from './judge-measurement.ts';
import type { SampleSummary } from './sample-stats.ts';

/** The verdict of a measurement, of a metric, and of a whole analysis run. */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

/** The conditions a measurement was judged by, as configured. */
export type Thresholds = Pick<
  AnalysisMetric,
  'min' | 'max' | 'maxRatioToBaseline' | 'minRatioToBaseline' | 'baselineFloor' | 'mannWhitney' | 'minSamples'
>;

/** One measurement with everything behind its verdict: what ran, what came back, what it was compared with. */
export interface MeasurementRecord {
  metric: string;
  provider: MetricProviderConfig['kind'];
  /** 1-based position among this metric's measurements (errors and extensions included). */
  index: number;
  release: string;
  baselineRelease: string | null;
  /** The query as it ran, placeholders filled in. */
  query: string;
  baselineQuery: string | null;
  /** The measured value; null for no data or an error. */
  value: number | null;
  baselineValue: number | null;
  /** Observations behind the value, when the provider knows. */
  sampleCount: number | null;
  baselineSampleCount: number | null;
  /** Summary of individual samples (latencies, series values), when the provider gave them. */
  samples: SampleSummary | null;
  baselineSamples: SampleSummary | null;
  /** What the source answered (series, counts, an excerpt), as the provider trimmed it. */
  raw: unknown;
  baselineRaw: unknown;
  thresholds: Thresholds;
  /** Each condition applied, with the compared numbers. */
  checks: ConditionCheck[];
  verdict: Verdict;
  /** The source had nothing to judge (empty, NaN, no traffic, too few samples). */
  noData: boolean;
  /** Whether it counts toward the metric's `count` (errors and extensions do not). */
  counted: boolean;
  /** For onNoData: extend, which extension this was (1-based); null otherwise. */
  extension: number | null;
  /** One line, e.g. "error-rate 5.2% > max 1%". */
  reason: string;
  dryRun: boolean;
  /** Analysis clock (epoch ms). */
  startedAtMs: number;
  finishedAtMs: number;
}

/** Running counts of one metric's measurements. */
export interface MetricTally {
  /** Every measurement taken. */
  measurements: number;
  /** Those that count toward `count`: passed + failed + inconclusive. */
  judged: number;
  passed: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveErrors: number;
  extensions: number;
}

export interface MetricResult {
  name: string;
  provider: MetricProviderConfig['kind'];
  dryRun: boolean;
  verdict: Verdict;
  /** One line saying why, e.g. "error-rate 5.2% > max 1% on canary v2 (3 of 3 measurements failed)". */
  reason: string;
  /** Whether the metric finished on its own (count reached or a limit decided it) rather than being stopped. */
  complete: boolean;
  tally: MetricTally;
  measurements: MeasurementRecord[];
}

export interface AnalysisResult {
  name: string | null;
  /** pass only when every non-dryRun metric passed. */
  verdict: Verdict;
  /** completed: every deciding metric finished; fail-fast: others were cut short once one could no longer pass; signal: stopped by the caller. */
  endedBy: 'completed' | 'fail-fast' | 'signal';
  /** The metric the verdict rests on (the first that failed, errored or was inconclusive); null on pass. */
  decidedBy: string | null;
  release: string;
  baselineRelease: string | null;
  /** How the release is named in reasons: "canary", "green". */
  releaseLabel: string;
  startedAtMs: number;
  finishedAtMs: number;
  metrics: MetricResult[];
  /** Every measurement of every metric, in the order they finished. */
  measurements: MeasurementRecord[];
}
