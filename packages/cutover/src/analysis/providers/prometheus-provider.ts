import { DEFAULT_PROVIDER_TIMEOUT_MS } from '../../config/defaults.ts';
import { renderTemplate, templateValues } from '../../config/query-template.ts';
import type { PrometheusProviderConfig, Reducer } from '../../config/schema-analysis.ts';
import { errorText } from '../../shared/error-text.ts';
import { type MeasureContext, type MeasurementValue, type MetricProvider, measurementError, noData } from '../metric-provider.ts';
import { readNumber, reduceNumbers } from '../read-number.ts';

export interface PrometheusProviderOptions {
  /** The fetch used for the HTTP API (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

/** Series kept in a record per measurement; the value uses them all. */
export const MAX_RECORDED_SERIES = 50;

interface Series {
  labels: Record<string, string>;
  value: unknown;
}

/** What an instant query answered: the result, or why there is none. */
export type PrometheusAnswer =
  | { resultType: 'vector'; series: Series[] }
  | { resultType: 'scalar'; value: unknown }
  | { resultType: 'unsupported'; reason: string }
  | { resultType: 'error'; reason: string };

/**
 * PromQL over the HTTP API (`GET /api/v1/query`). The query is templated per release, so the
 * baseline is measured by the same query with {{release}} set to the baseline release.
 */
export function createPrometheusProvider(options: PrometheusProviderOptions = {}): MetricProvider<PrometheusProviderConfig> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  return {
    async measure(config, ctx) {
      const rendered = render(config.query, ctx);
      if ('error' in rendered) return measurementError(config.query, rendered.error);
      const query = rendered.text;
      if (config.address === undefined) return measurementError(query, 'no Prometheus address is configured');
      const ask = (promql: string) => queryPrometheus(fetchFn, config, promql, ctx.signal);
      const count = config.countQuery === undefined ? undefined : render(config.countQuery, ctx);
      if (count !== undefined && 'error' in count) return measurementError(query, `countQuery: ${count.error}`);
      const [answer, countAnswer] = await Promise.all([ask(query), count === undefined ? undefined : ask(count.text)]);
      const measured = interpretPrometheus(answer, config.reduce, query);
      if (countAnswer === undefined || count === undefined || measured.outcome !== 'value') return measured;
      const counted = interpretPrometheus(countAnswer, 'sum', count.text);
      if (counted.outcome === 'error') return measurementError(query, `countQuery ${count.text}: ${counted.reason}`, measured.raw);
      const sampleCount = counted.outcome === 'value' ? counted.value : 0;
      return { ...measured, sampleCount, raw: { ...(measured.raw as object), countQuery: count.text, count: sampleCount } };
    },
  };
}

function render(template: string, ctx: MeasureContext): { text: string } | { error: string } {
  const values = templateValues(ctx);
  // Values land inside "..." label matchers; a quote or backslash must not end the string early.
  return renderTemplate(template, values, (value) => value.replace(/[\\"]/g, (char) => `\\${char}`));
}

/** One instant query; HTTP, network and API failures come back as { resultType: 'error' }. */
export async function queryPrometheus(
  fetchFn: typeof fetch,
  config: Pick<PrometheusProviderConfig, 'address' | 'headers' | 'timeoutMs'>,
  promql: string,
  signal: AbortSignal,
): Promise<PrometheusAnswer> {
  const url = `${String(config.address).replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const timeoutMs = config.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  let status: number;
  let text: string;
  try {
    const response = await fetchFn(url, {
      headers: { accept: 'application/json', ...config.headers },
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      resultType: 'error',
      reason: timedOut ? `Prometheus did not answer within ${timeoutMs}ms` : `Prometheus could not be reached: ${errorText(error)}`,
    };
  }
  let body: { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return {
      resultType: 'error',
      reason: `Prometheus answered HTTP ${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`,
    };
  }
  if (status < 200 || status > 299 || body?.status !== 'success') {
    const detail = typeof body?.error === 'string' ? `: ${String(body.errorType ?? 'error')}: ${body.error}` : '';
    return { resultType: 'error', reason: `Prometheus answered HTTP ${status} status ${String(body?.status)}${detail}` };
  }
  const resultType = body.data?.resultType;
  const result = body.data?.result;
  if (resultType === 'vector' && Array.isArray(result)) {
    const series = result.map((item: { metric?: Record<string, string>; value?: unknown[] }) => ({
      labels: item?.metric ?? {},
      value: Array.isArray(item?.value) ? item.value[1] : undefined,
    }));
    return { resultType: 'vector', series };
  }
  if (resultType === 'scalar' && Array.isArray(result)) return { resultType: 'scalar', value: result[1] };
  if (resultType === 'matrix') {
    return {
      resultType: 'unsupported',
      reason: 'the query returned a range vector (matrix): wrap it in a function such as avg_over_time(...) or rate(...)',
    };
  }
  return { resultType: 'unsupported', reason: `the query returned a ${String(resultType)} result, not a vector or scalar` };
}

/**
 * Judges what Prometheus answered. Empty vector: no data (nothing matched: often a release with no
 * traffic yet). NaN: no data (0/0 is what a rate ratio gives without traffic); NaN series are dropped
 * when others have values. ±Inf and non-numbers: errors. Several series: folded by `reducer`.
 */
export function interpretPrometheus(answer: PrometheusAnswer, reducer: Reducer, query: string): MeasurementValue {
  if (answer.resultType === 'error' || answer.resultType === 'unsupported') return measurementError(query, answer.reason);
  if (answer.resultType === 'scalar') {
    const reading = readNumber(answer.value);
    const raw = { resultType: 'scalar', value: answer.value };
    if (reading.kind === 'number') return { outcome: 'value', query, value: reading.value, sampleCount: null, raw };
    if (reading.kind === 'nan') return noData(query, 'the query returned NaN (a ratio over no traffic?)', raw);
    if (reading.kind === 'infinite')
      return measurementError(query, `the query returned ${String(answer.value)}, not a measurable value`, raw);
    return measurementError(query, `the query returned ${reading.what}, not a number`, raw);
  }
  const raw = {
    resultType: 'vector',
    seriesCount: answer.series.length,
    series: answer.series.slice(0, MAX_RECORDED_SERIES).map((s) => ({ labels: s.labels, value: s.value })),
  };
  if (answer.series.length === 0) return noData(query, 'the query returned an empty vector (no series matched)', raw);
  const values: number[] = [];
  for (const series of answer.series) {
    const reading = readNumber(series.value);
    const name = JSON.stringify(series.labels);
    if (reading.kind === 'number') values.push(reading.value);
    else if (reading.kind === 'infinite')
      return measurementError(query, `series ${name} is ${String(series.value)}, not a measurable value`, raw);
    else if (reading.kind === 'invalid') return measurementError(query, `series ${name} has ${reading.what} as its value`, raw);
  }
  if (values.length === 0) return noData(query, `all ${answer.series.length} series are NaN (a ratio over no traffic?)`, raw);
  const reduced = reduceNumbers(values, reducer);
  if ('error' in reduced) return measurementError(query, `${answer.series.length} series: ${reduced.error}`, raw);
  return { outcome: 'value', query, value: reduced.value, sampleCount: null, samples: values, raw };
}
