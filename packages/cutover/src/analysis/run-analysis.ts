import { templatePlaceholders } from '../config/query-template.ts';
import type { AnalysisDefinition, AnalysisMetric } from '../config/schema-analysis.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { errorText } from '../shared/error-text.ts';
import { type AnalysisClock, systemClock } from './analysis-clock.ts';
import type { AnalysisResult, MeasurementRecord, MetricResult, MetricTally, Verdict } from './analysis-result.ts';
import { judgeMeasurement, needsBaseline } from './judge-measurement.ts';
import type { MeasureContext, MeasurementValue, MetricProvider, MetricProviders } from './metric-provider.ts';
import { addToTally, classifyMeasurement, EMPTY_TALLY, finalVerdict, limitVerdict } from './metric-tally.ts';
import { summarizeSamples } from './sample-stats.ts';
import { describeMetricResult } from './summarize-verdict.ts';

export interface AnalysisDeps {
  /** Providers by kind (see createMetricProviders). */
  providers: MetricProviders;
  /** Time source and sleep (default: the system clock); tests pass a virtual one. */
  clock?: AnalysisClock;
}

export interface RunAnalysisOptions {
  /** The release being judged (the canary, or green). */
  release: string;
  /** The stable release compared with; required by ratio and mannWhitney conditions and {{baseline}}. */
  baselineRelease?: string;
  /** The service name, for {{service}}. */
  service?: string;
  /** How the release is called in reasons (default "canary"). */
  releaseLabel?: string;
  /** Stops the run; the result holds what was measured until then (endedBy: signal). */
  signal?: AbortSignal;
  /** Called with each measurement as it is recorded (for the deployment record and progress). */
  onMeasurement?: (record: MeasurementRecord) => void;
}

/** Verdict precedence for the run: a measured regression outranks a broken measurement, which outranks doubt. */
const SEVERITY: Verdict[] = ['fail', 'error', 'inconclusive'];

/**
 * Runs an analysis: every metric on its own schedule, concurrently.
 *
 * Each metric moves through these states (changed only in runMetric's loop):
 *   delaying  --initialDelayMs elapsed-->  measuring
 *   measuring --measurement recorded, undecided, count not reached--> waiting (intervalMs, or
 *               errorRetryIntervalMs after an error)
 *   waiting   --interval elapsed--> measuring
 *   measuring --a limit exceeded, or count reached--> done (complete)
 *   any       --stop (caller's signal, fail fast, or the deciding metrics all done)--> done (incomplete)
 *
 * The run ends when every non-dryRun metric is done; it stops early (fail fast) as soon as one of
 * them ends with anything but pass, since the run can then no longer pass. A measurement cut short
 * by a stop is discarded, not recorded as an error.
 */
export async function runAnalysis(
  definition: AnalysisDefinition,
  deps: AnalysisDeps,
  options: RunAnalysisOptions,
): Promise<AnalysisResult> {
  // The schema (zod) loads with the first analysis that runs, not with the controller.
  const { parseAnalysisDefinition } = await import('./parse-analysis-definition.ts');
  const analysis = parseAnalysisDefinition(definition);
  checkInputs(analysis, deps.providers, options);
  const clock = deps.clock ?? systemClock;
  const stop = new AbortController();
  const onCallerAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const state = { failFastBy: null as string | null, callbackError: undefined as unknown };
  const all: MeasurementRecord[] = [];
  const startedAtMs = clock.now();
  const label = options.releaseLabel ?? 'canary';
  const runOne = async (metric: AnalysisMetric): Promise<MetricResult> => {
    const result = await runMetric(metric, {
      provider: deps.providers[metric.provider.kind] as MetricProvider,
      clock,
      signal: stop.signal,
      options,
      label,
      record: (record) => {
        all.push(record);
        try {
          options.onMeasurement?.(record);
        } catch (error) {
          state.callbackError ??= error;
          stop.abort();
        }
      },
    });
    if (!metric.dryRun && result.complete && result.verdict !== 'pass' && !stop.signal.aborted) {
      state.failFastBy = metric.name;
      stop.abort();
    }
    return result;
  };
  const deciding = analysis.metrics.map((metric) => (metric.dryRun ? null : runOne(metric)));
  const dryRuns = analysis.metrics.map((metric) => (metric.dryRun ? runOne(metric) : null));
  const decidingResults = await Promise.all(deciding);
  stop.abort();
  const dryRunResults = await Promise.all(dryRuns);
  options.signal?.removeEventListener('abort', onCallerAbort);
  if (state.callbackError !== undefined) throw state.callbackError;
  const metrics = analysis.metrics.map((_, index) => (decidingResults[index] ?? dryRunResults[index]) as MetricResult);
  const judged = metrics.filter((metric) => !metric.dryRun);
  const verdict = SEVERITY.find((severity) => judged.some((metric) => metric.verdict === severity)) ?? 'pass';
  const decidedBy = verdict === 'pass' ? null : (state.failFastBy ?? judged.find((metric) => metric.verdict === verdict)?.name ?? null);
  const cutShort = judged.some((metric) => !metric.complete);
  const endedBy = !cutShort ? 'completed' : state.failFastBy !== null ? 'fail-fast' : 'signal';
  return {
    name: analysis.name ?? null,
    verdict,
    endedBy,
    decidedBy,
    release: options.release,
    baselineRelease: options.baselineRelease ?? null,
    releaseLabel: label,
    startedAtMs,
    finishedAtMs: clock.now(),
    metrics,
    measurements: all,
  };
}

interface MetricRun {
  provider: MetricProvider;
  clock: AnalysisClock;
  signal: AbortSignal;
  options: RunAnalysisOptions;
  label: string;
  record: (record: MeasurementRecord) => void;
}

async function runMetric(metric: AnalysisMetric, run: MetricRun): Promise<MetricResult> {
  const { clock, signal } = run;
  const records: MeasurementRecord[] = [];
  let tally: MetricTally = EMPTY_TALLY;
  let complete = false;
  if (metric.initialDelayMs > 0) await sleep(clock, metric.initialDelayMs, signal);
  while (!signal.aborted) {
    const record = await measureOnce(metric, run, tally, records.length + 1);
    if (record === null) break;
    tally = addToTally(tally, record);
    records.push(record);
    run.record(record);
    if (limitVerdict(metric, tally) !== null || (metric.count !== 'until-stopped' && tally.judged >= metric.count)) {
      complete = true;
      break;
    }
    const waitMs = record.verdict === 'error' ? Math.min(metric.errorRetryIntervalMs, metric.intervalMs) : metric.intervalMs;
    await sleep(clock, waitMs, signal);
  }
  const verdict = finalVerdict(metric, tally, complete);
  const partial: Omit<MetricResult, 'reason'> = {
    name: metric.name,
    provider: metric.provider.kind,
    dryRun: metric.dryRun,
    verdict,
    complete,
    tally,
    measurements: records,
  };
  return { ...partial, reason: describeMetricResult(partial, metric, run.label, run.options.release) };
}

/** Measures the release (and the baseline, when a condition needs it) and judges the pair; null when stopped meanwhile. */
async function measureOnce(metric: AnalysisMetric, run: MetricRun, tally: MetricTally, index: number): Promise<MeasurementRecord | null> {
  const { options, signal } = run;
  const startedAtMs = run.clock.now();
  const ctx: MeasureContext = {
    release: options.release,
    baselineRelease: options.baselineRelease,
    service: options.service,
    windowMs: metric.windowMs,
    nowMs: startedAtMs,
    signal,
  };
  const baselineRelease = options.baselineRelease;
  const withBaseline = needsBaseline(metric) && baselineRelease !== undefined;
  const [canary, baseline] = await Promise.all([
    safeMeasure(run.provider, metric, ctx),
    withBaseline ? safeMeasure(run.provider, metric, { ...ctx, release: baselineRelease }) : Promise.resolve(null),
  ]);
  if (signal.aborted) return null;
  const judgement = judgeMeasurement(metric, canary, baseline);
  const classification = classifyMeasurement(judgement, metric, tally);
  const measured = (m: MeasurementValue | null) => (m?.outcome === 'value' ? m : null);
  return {
    metric: metric.name,
    provider: metric.provider.kind,
    index,
    release: options.release,
    baselineRelease: withBaseline ? baselineRelease : null,
    query: canary.query,
    baselineQuery: baseline?.query ?? null,
    value: measured(canary)?.value ?? null,
    baselineValue: measured(baseline)?.value ?? null,
    sampleCount: measured(canary)?.sampleCount ?? null,
    baselineSampleCount: measured(baseline)?.sampleCount ?? null,
    samples: summarizeSamples(measured(canary)?.samples ?? []),
    baselineSamples: summarizeSamples(measured(baseline)?.samples ?? []),
    raw: canary.raw ?? null,
    baselineRaw: baseline?.raw ?? null,
    thresholds: {
      min: metric.min,
      max: metric.max,
      maxRatioToBaseline: metric.maxRatioToBaseline,
      minRatioToBaseline: metric.minRatioToBaseline,
      baselineFloor: metric.baselineFloor,
      mannWhitney: metric.mannWhitney,
      minSamples: metric.minSamples,
    },
    checks: judgement.checks,
    verdict: classification.verdict,
    noData: classification.noData,
    counted: classification.counted,
    extension: classification.extension,
    reason: classification.reason,
    dryRun: metric.dryRun,
    startedAtMs,
    finishedAtMs: run.clock.now(),
  };
}

/** A provider that throws (a bug, an unexpected I/O failure) yields an error measurement, never a pass. */
async function safeMeasure(provider: MetricProvider, metric: AnalysisMetric, ctx: MeasureContext): Promise<MeasurementValue> {
  try {
    return await provider.measure(metric.provider, ctx);
  } catch (error) {
    return { outcome: 'error', query: metric.provider.kind, reason: `the ${metric.provider.kind} provider failed: ${errorText(error)}` };
  }
}

async function sleep(clock: AnalysisClock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  try {
    await clock.sleep(ms, signal);
  } catch {
    // An aborted sleep is how a stop arrives; the loop checks the signal next.
  }
}

/** Refuses, before anything is measured, a run that could only produce errors. */
function checkInputs(analysis: AnalysisDefinition, providers: MetricProviders, options: RunAnalysisOptions): void {
  if (!options.release) throw badTarget('no release to analyse was given', 'pass the release being rolled out');
  if (options.baselineRelease !== undefined && options.baselineRelease === options.release) {
    throw badTarget(`the baseline release is the release itself (${options.release})`, 'compare with the stable release');
  }
  analysis.metrics.forEach((metric, index) => {
    const where = `analysis.metrics[${index}]`;
    if (providers[metric.provider.kind] === undefined) {
      throw new CutoverError(
        'CUT_ERR_ANALYSIS_PROVIDER_UNAVAILABLE',
        `Metric ${metric.name} uses the ${metric.provider.kind} provider, which this run does not have.`,
        {
          where,
          hint: metric.provider.kind === 'proxy' ? 'run the analysis with the agent proxy as proxySource' : 'pass it in deps.providers',
        },
      );
    }
    const uses = new Set(templatesOf(metric).flatMap(templatePlaceholders));
    if ((needsBaseline(metric) || uses.has('baseline')) && options.baselineRelease === undefined) {
      throw badTarget(
        `metric ${metric.name} compares with a baseline, but no baseline release was given`,
        'pass baselineRelease (the stable release)',
        where,
      );
    }
    if (uses.has('service') && options.service === undefined) {
      throw badTarget(`metric ${metric.name} uses {{service}}, but no service was given`, 'pass the service name', where);
    }
  });
}

function templatesOf(metric: AnalysisMetric): string[] {
  const provider = metric.provider;
  switch (provider.kind) {
    case 'proxy':
      return [];
    case 'prometheus':
      return [provider.query, provider.countQuery ?? ''];
    case 'http':
      return [provider.url, provider.body ?? ''];
    case 'command':
      return typeof provider.command === 'string' ? [provider.command] : [...provider.command];
  }
}

function badTarget(message: string, hint: string, where = 'analysis'): CutoverError {
  return new CutoverError('CUT_ERR_ANALYSIS_BAD_TARGET', `${message[0].toUpperCase()}${message.slice(1)}.`, { where, hint });
}
