import type { z } from 'zod';
import { type AnalysisDefinition, analysisSchema } from '../config/schema-analysis.ts';
import { CutoverError } from '../errors/cutover-error.ts';

/** Dotted path with indexes, e.g. `metrics[1].provider.query`. */
function formatIssuePath(base: string, path: readonly PropertyKey[]): string {
  let text = base;
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `${text ? '.' : ''}${String(key)}`;
  return text || '(top level)';
}

/** Every problem of a definition, each with its path, e.g. "analysis.metrics[0]: has no conditions ...". */
export function analysisProblems(issues: readonly z.core.$ZodIssue[], where: string): string[] {
  return issues.map((issue) => `${formatIssuePath(where, issue.path)}: ${issue.message}`);
}

/**
 * Validates an analysis definition (as written, or one already parsed: parsing is idempotent) and
 * returns it frozen. Strategies that embed `analysisSchema` in cutover.yml get the same checks at
 * load time; this is for callers that build definitions in code, and is what runAnalysis uses so a
 * definition that skipped validation (a metric with no conditions) still cannot run.
 */
export function parseAnalysisDefinition(input: unknown, where = 'analysis'): AnalysisDefinition {
  const result = analysisSchema.safeParse(input);
  if (!result.success) {
    const problems = analysisProblems(result.error.issues, where);
    throw new CutoverError('CUT_ERR_ANALYSIS_INVALID', `The analysis definition is invalid:\n  ${problems.join('\n  ')}`, {
      where,
      hint: 'fix the listed keys; docs/analysis.md describes every one',
      details: { problems },
    });
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
