import { parseJsonPath, selectJsonPath } from '../config/json-path.ts';
import type { Reducer } from '../config/schema-analysis.ts';
import { type MeasurementValue, measurementError } from './metric-provider.ts';
import { readJsonMeasurement, readNumber } from './read-number.ts';

export interface JsonDocumentPaths {
  /** Where the value is (default `$`: the document itself). */
  jsonPath?: string;
  /** Where the number of observations is. */
  countPath?: string;
  reduce: Reducer;
}

/** Array items kept in a record. */
const MAX_RECORDED_ITEMS = 50;

/** Picks the value, and the count when configured, out of a JSON answer (HTTP body or command stdout). */
export function readJsonDocument(document: unknown, paths: JsonDocumentPaths, query: string): MeasurementValue {
  const path = paths.jsonPath ?? '$';
  const segments = parseJsonPath(path);
  if (!Array.isArray(segments)) return measurementError(query, `jsonPath: ${segments.error}`);
  const selected = selectJsonPath(document, segments);
  const raw: Record<string, unknown> = { value: Array.isArray(selected) ? selected.slice(0, MAX_RECORDED_ITEMS) : selected };
  const measured = readJsonMeasurement(selected, paths.reduce, query, path);
  if (measured.outcome !== 'value' || paths.countPath === undefined) return { ...measured, raw };
  const countSegments = parseJsonPath(paths.countPath);
  if (!Array.isArray(countSegments)) return measurementError(query, `countPath: ${countSegments.error}`, raw);
  const countValue = selectJsonPath(document, countSegments);
  const count = readNumber(countValue);
  if (count.kind !== 'number' || count.value < 0) {
    return measurementError(query, `${paths.countPath} is not a count (got ${JSON.stringify(countValue) ?? 'nothing'})`, raw);
  }
  return { ...measured, sampleCount: count.value, raw: { ...raw, count: count.value } };
}
