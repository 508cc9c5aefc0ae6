import type { AnalysisResult, Verdict } from '../analysis/analysis-result.ts';
import { createMetricProviders } from '../analysis/create-metric-providers.ts';
import { runAnalysis } from '../analysis/run-analysis.ts';
import { summarizeVerdict } from '../analysis/summarize-verdict.ts';
import type { AnalysisDefinition } from '../config/schema-analysis.ts';
import type { OnInconclusive } from '../config/schema-rollout.ts';
import type { TrafficRouter } from '../platform/traffic-router.ts';

/** Extra history read from the proxy before a window starts, so the window's first samples are surely there. */
export const SAMPLE_MARGIN_MS = 1000;

export interface AnalysisGateDeps {
  router: TrafficRouter;
  service: string;
  /** Directory command providers run in (the one of cutover.yml). */
  cwd: string;
  emit(type: string, data: Record<string, unknown>): void;
}

export interface GateTarget {
  release: string;
  /** The stable (blue) release compared with. */
  baseline: string;
  /** "canary" or "green", in reasons. */
  releaseLabel: string;
}

/**
 * Runs one analysis against the release, with the proxy provider reading the agent's counters and
 * samples of a release over the admin API. Every measurement lands in the record as an
 * `analysis:measurement` event (query, raw values, thresholds, verdict, time) and the end as an
 * `analysis:verdict` event with its one-line summary. Throws only for bad input (see runAnalysis).
 */
export async function runAnalysisGate(
  deps: AnalysisGateDeps,
  label: string,
  definition: AnalysisDefinition,
  target: GateTarget,
  signal: AbortSignal,
): Promise<AnalysisResult> {
  const longestWindowMs = Math.max(...definition.metrics.map((metric) => metric.windowMs));
  const providers = createMetricProviders({
    proxySource: (release) => deps.router.samples(deps.service, release, Date.now() - longestWindowMs - SAMPLE_MARGIN_MS),
    cwd: deps.cwd,
  });
  deps.emit('analysis:started', {
    analysis: label,
    release: target.release,
    baselineRelease: target.baseline,
    metrics: definition.metrics.map((metric) => metric.name),
  });
  const result = await runAnalysis(
    definition,
    { providers },
    {
      release: target.release,
      baselineRelease: target.baseline,
      service: deps.service,
      releaseLabel: target.releaseLabel,
      signal,
      onMeasurement: (measurement) => deps.emit('analysis:measurement', { analysis: label, ...measurement }),
    },
  );
  deps.emit('analysis:verdict', {
    analysis: label,
    verdict: result.verdict,
    summary: summarizeVerdict(result),
    decidedBy: result.decidedBy,
    endedBy: result.endedBy,
    release: result.release,
    baselineRelease: result.baselineRelease,
    measurements: result.measurements.length,
  });
  return result;
}

/** What a verdict means for the rollout: fail and error abort; inconclusive follows the policy. */
export function decideVerdict(verdict: Verdict, onInconclusive: OnInconclusive): 'continue' | 'abort' | 'pause' {
  if (verdict === 'pass') return 'continue';
  if (verdict === 'fail' || verdict === 'error') return 'abort';
  return onInconclusive === 'promote' ? 'continue' : onInconclusive;
}
