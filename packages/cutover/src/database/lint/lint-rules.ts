import type { LintRule } from './lint-rule.ts';
import { BREAKING_RULES } from './rules/breaking-rules.ts';
import { COLUMN_RULES } from './rules/column-rules.ts';
import { CONSTRAINT_RULES } from './rules/constraint-rules.ts';
import { HYGIENE_RULES } from './rules/hygiene-rules.ts';
import { INDEX_RULES } from './rules/index-rules.ts';
import { TRANSACTION_RULES } from './rules/transaction-rules.ts';

/** Every lint rule, in the order docs/lint-rules.md lists them. */
export const LINT_RULES: readonly LintRule[] = [
  ...INDEX_RULES,
  ...CONSTRAINT_RULES,
  ...COLUMN_RULES,
  ...BREAKING_RULES,
  ...TRANSACTION_RULES,
  ...HYGIENE_RULES,
];

/** Ids of findings that are not rules of their own: problems with the migration's directives. */
export const DIRECTIVE_FINDING_IDS = ['invalid-directive', 'allow-without-reason'] as const;
