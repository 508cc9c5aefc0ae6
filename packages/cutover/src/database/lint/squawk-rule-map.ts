/**
 * squawk rule names and the cutover rules that cover the same danger. The corpus test checks that
 * every statement squawk flags under a rule listed here is flagged by one of its cutover rules.
 * Rules absent from this table are covered differently (see UNCLAIMED_SQUAWK_RULES).
 */
export const SQUAWK_RULE_MAP: Readonly<Record<string, readonly string[]>> = {
  'adding-field-with-default': ['add-column-volatile-default'],
  'adding-foreign-key-constraint': ['foreign-key-not-valid'],
  'adding-not-nullable-field': ['set-not-null'],
  'adding-required-field': ['add-column-required'],
  'adding-serial-primary-key-field': ['primary-key-constraint'],
  'ban-alter-domain-with-add-constraint': ['domain-constraint'],
  'ban-char-field': ['char-field'],
  'ban-concurrent-index-creation-in-transaction': ['concurrently-in-transaction'],
  'ban-create-domain-with-constraint': ['domain-constraint'],
  'ban-drop-column': ['drop-column'],
  'ban-drop-database': ['drop-database'],
  'ban-drop-not-null': ['drop-not-null'],
  'ban-drop-table': ['drop-table'],
  'ban-truncate-cascade': ['truncate-cascade'],
  'ban-uncommitted-transaction': ['transaction-control'],
  'changing-column-type': ['change-column-type'],
  'constraint-missing-not-valid': [
    'check-not-valid',
    'foreign-key-not-valid',
    'validate-in-same-transaction',
    'unique-constraint',
    'primary-key-constraint',
    'exclusion-constraint',
  ],
  'disallowed-unique-constraint': ['unique-constraint'],
  'identifier-too-long': ['identifier-too-long'],
  'prefer-bigint-over-int': ['prefer-bigint'],
  'prefer-bigint-over-smallint': ['prefer-bigint'],
  'prefer-identity': ['prefer-identity'],
  'prefer-repack': ['vacuum-full-or-cluster'],
  'prefer-text-field': ['prefer-text'],
  'prefer-timestamptz': ['prefer-timestamptz'],
  'prefer-timestamp-tz': ['prefer-timestamptz'],
  'renaming-column': ['rename-column'],
  'renaming-table': ['rename-table'],
  'require-concurrent-index-creation': ['index-not-concurrent'],
  'require-concurrent-index-deletion': ['drop-index-not-concurrent'],
  'require-concurrent-partition-detach': ['detach-partition-not-concurrent'],
  'require-concurrent-reindex': ['reindex-not-concurrent'],
  'require-enum-value-ordering': ['enum-value-without-position'],
  'transaction-nesting': ['transaction-control'],
};

/** squawk rules cutover does not claim, and why. */
export const UNCLAIMED_SQUAWK_RULES: Readonly<Record<string, string>> = {
  'require-lock-timeout': 'the runner sets lock_timeout on every migration statement itself',
  'require-statement-timeout': 'the runner sets statement_timeout on every migration statement itself',
  'require-timeout-settings': 'the runner sets both timeouts itself',
  'prefer-robust-stmts': 'the runner knows which statements run outside a transaction and recovers CONCURRENTLY builds itself',
  'ban-duplicate-column-assignments': 'not implemented: PostgreSQL rejects the statement when it runs',
  'require-table-schema': 'not implemented (opt-in in squawk)',
  'syntax-error': 'PostgreSQL reports syntax errors when the migration runs, and the transaction rolls back',
};
