import type { MetricProviderConfig } from '../config/schema-analysis.ts';

/** What a provider is asked to measure, and for whom. */
export interface MeasureContext {
  /** The release measured (the canary, or the baseline when measuring the baseline). */
  release: string;
  /** The stable release the canary is compared with, when there is one ({{baseline}}). */
  baselineRelease: string | undefined;
  /** The service name ({{service}}). */
  service: string | undefined;
  /** How far back the measurement looks ({{window}}). */
  windowMs: number;
  /** The time of the measurement (epoch ms, from the analysis clock): windows end here. */
  nowMs: number;
  signal: AbortSignal;
}

interface MeasurementBase {
  /** The query as it ran, placeholders filled in (or a description for the proxy provider). */
  query: string;
  /** What the source answered, trimmed to what a record can keep (series, counts, a body excerpt). */
  raw?: unknown;
}

/** A number that may be judged. */
export interface MeasuredValue extends MeasurementBase {
  outcome: 'value';
  value: number;
  /** Observations behind the value (requests in the window, a count query), or null when unknown. */
  sampleCount: number | null;
  /** Individual observations (latencies, series values) for rank tests; absent when there are none. */
  samples?: readonly number[];
}

/** The source answered, but with nothing to judge: empty result, NaN, no traffic. */
export interface NoData extends MeasurementBase {
  outcome: 'no-data';
  reason: string;
}

/** The source could not be asked or answered with something unusable. */
export interface MeasurementError extends MeasurementBase {
  outcome: 'error';
  reason: string;
}

/** Every provider answers with exactly one of these; a non-finite number is never a MeasuredValue. */
export type MeasurementValue = MeasuredValue | NoData | MeasurementError;

/** Measures one metric of one release. Expected failures are values; it throws only on bugs. */
export interface MetricProvider<Query extends MetricProviderConfig = MetricProviderConfig> {
  measure(query: Query, ctx: MeasureContext): Promise<MeasurementValue>;
}

/** The providers a run may use, by kind; a metric whose kind is missing is refused before the run starts. */
export interface MetricProviders {
  proxy?: MetricProvider<Extract<MetricProviderConfig, { kind: 'proxy' }>>;
  prometheus?: MetricProvider<Extract<MetricProviderConfig, { kind: 'prometheus' }>>;
  http?: MetricProvider<Extract<MetricProviderConfig, { kind: 'http' }>>;
  command?: MetricProvider<Extract<MetricProviderConfig, { kind: 'command' }>>;
}

export function noData(query: string, reason: string, raw?: unknown): NoData {
  return raw === undefined ? { outcome: 'no-data', query, reason } : { outcome: 'no-data', query, reason, raw };
}

export function measurementError(query: string, reason: string, raw?: unknown): MeasurementError {
  return raw === undefined ? { outcome: 'error', query, reason } : { outcome: 'error', query, reason, raw };
}
