import { parseDurationMs } from '../../shared/duration.ts';
import type { SqlToken } from './sql-tokenizer.ts';

/** `-- cutover:allow <rule-id> <reason>`: accept one lint rule's findings in this migration. */
export interface AllowDirective {
  ruleId: string;
  /** Empty when the author gave none: the linter reports that as a blocking finding. */
  reason: string;
  line: number;
}

/** A directive comment that could not be understood; reported by the linter as `invalid-directive`. */
export interface DirectiveProblem {
  line: number;
  message: string;
}

/** Per-migration settings written as `-- cutover:<name> <args>` comments anywhere in the file. */
export interface MigrationDirectives {
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Attempts after a lock timeout (overrides the config's lockRetries). */
  lockRetries?: number;
  /** Contract migrations run only with `migrate up --contract`, after the new release is fully promoted. */
  contract: boolean;
  /** Run every statement outside a transaction (for batched backfills). */
  noTransaction: boolean;
  allows: AllowDirective[];
  problems: DirectiveProblem[];
}

export const DIRECTIVE_PREFIX = 'cutover:';
const DIRECTIVE_PATTERN = /^--\s*cutover:([A-Za-z_-]*)\s*(.*)$/;

/** Reads every `-- cutover:` line comment of a file (comment tokens only, so text in strings never counts). */
export function parseDirectives(comments: readonly SqlToken[]): MigrationDirectives {
  const directives: MigrationDirectives = { contract: false, noTransaction: false, allows: [], problems: [] };
  for (const comment of comments) {
    const match = DIRECTIVE_PATTERN.exec(comment.text.trim());
    if (!match) continue;
    const name = match[1].toLowerCase().replaceAll('-', '_');
    const args = match[2].trim();
    const line = comment.line;
    const problem = (message: string) => directives.problems.push({ line, message });
    switch (name) {
      case 'lock_timeout':
      case 'statement_timeout': {
        const ms = parseDurationMs(args);
        if (ms === undefined) problem(`${name} needs a duration such as 2s, 500ms or 10m (got "${args}")`);
        else if (name === 'lock_timeout') directives.lockTimeoutMs = ms;
        else directives.statementTimeoutMs = ms;
        break;
      }
      case 'lock_retries': {
        if (!/^\d+$/.test(args)) problem(`lock_retries needs a whole number (got "${args}")`);
        else directives.lockRetries = Number(args);
        break;
      }
      case 'contract':
      case 'no_transaction':
        if (args) problem(`${name} takes no argument (got "${args}")`);
        if (name === 'contract') directives.contract = true;
        else directives.noTransaction = true;
        break;
      case 'allow': {
        const [ruleId = '', ...reason] = args.split(/\s+/);
        if (!ruleId) problem('allow needs a rule id and a reason: -- cutover:allow <rule-id> <reason>');
        else directives.allows.push({ ruleId, reason: reason.join(' ').trim(), line });
        break;
      }
      default:
        problem(
          `unknown directive "cutover:${match[1]}" (known: lock_timeout, statement_timeout, lock_retries, contract, no_transaction, allow)`,
        );
    }
  }
  return directives;
}
