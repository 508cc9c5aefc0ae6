import type { Reducer } from '../config/schema-analysis.ts';
import { type MeasurementValue, measurementError, noData } from './metric-provider.ts';

export type NumberReading =
  | { kind: 'number'; value: number }
  | { kind: 'nan' }
  | { kind: 'infinite'; value: number }
  | { kind: 'invalid'; what: string };

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads a number the way metric sources write them: JSON numbers, numeric strings, and the
 * Prometheus spellings NaN, +Inf, -Inf (which Number() does not parse). Anything else is invalid
 * rather than coerced: Number('') is 0 and Number(true) is 1, and neither is a measurement.
 */
export function readNumber(value: unknown): NumberReading {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { kind: 'nan' };
    return Number.isFinite(value) ? { kind: 'number', value } : { kind: 'infinite', value };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^nan$/i.test(text)) return { kind: 'nan' };
    if (/^[+-]?inf(inity)?$/i.test(text)) return { kind: 'infinite', value: text.startsWith('-') ? -Infinity : Infinity };
    if (NUMERIC.test(text)) return { kind: 'number', value: Number(text) };
    return { kind: 'invalid', what: `the string ${JSON.stringify(text.slice(0, 60))}` };
  }
  if (value === null) return { kind: 'invalid', what: 'null' };
  return { kind: 'invalid', what: Array.isArray(value) ? 'an array' : `a ${typeof value}` };
}

/** Folds several numbers into one; `single` refuses more than one so ambiguity is never averaged away silently. */
export function reduceNumbers(values: readonly number[], reducer: Reducer): { value: number } | { error: string } {
  if (values.length === 0) return { error: 'no values to reduce' };
  switch (reducer) {
    case 'single':
      return values.length === 1
        ? { value: values[0] }
        : { error: `got ${values.length} values where one was expected: aggregate them in the query or set reduce (sum, avg, min, max)` };
    case 'sum':
      return { value: values.reduce((a, b) => a + b, 0) };
    case 'avg':
      return { value: values.reduce((a, b) => a + b, 0) / values.length };
    case 'min':
      return { value: Math.min(...values) };
    case 'max':
      return { value: Math.max(...values) };
  }
}

/**
 * Turns a selected JSON value into a measurement: a number is a value, null / NaN / an empty array
 * is no data, ±Infinity and non-numbers are errors. An array is reduced and kept as samples.
 */
export function readJsonMeasurement(selected: unknown, reducer: Reducer, query: string, where: string): MeasurementValue {
  if (selected === undefined) return measurementError(query, `${where} is not in the answer`);
  if (selected === null) return noData(query, `${where} is null`);
  if (!Array.isArray(selected)) {
    const reading = readNumber(selected);
    if (reading.kind === 'number') return { outcome: 'value', query, value: reading.value, sampleCount: null };
    if (reading.kind === 'nan') return noData(query, `${where} is NaN`);
    if (reading.kind === 'infinite')
      return measurementError(query, `${where} is ${reading.value > 0 ? '+' : '-'}Inf, not a measurable value`);
    return measurementError(query, `${where} is ${reading.what}, not a number`);
  }
  if (selected.length === 0) return noData(query, `${where} is an empty array`);
  const numbers: number[] = [];
  for (const [index, item] of selected.entries()) {
    if (item === null) continue;
    const reading = readNumber(item);
    if (reading.kind === 'number') numbers.push(reading.value);
    else if (reading.kind === 'infinite') return measurementError(query, `${where}[${index}] is ${reading.value > 0 ? '+' : '-'}Inf`);
    else if (reading.kind === 'invalid') return measurementError(query, `${where}[${index}] is ${reading.what}, not a number`);
  }
  if (numbers.length === 0) return noData(query, `${where} holds only null or NaN values`);
  const reduced = reduceNumbers(numbers, reducer);
  if ('error' in reduced) return measurementError(query, `${where}: ${reduced.error}`);
  return { outcome: 'value', query, value: reduced.value, sampleCount: null, samples: numbers };
}
