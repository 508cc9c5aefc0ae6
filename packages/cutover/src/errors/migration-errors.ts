/** Error codes of the migrations runner and linter: CUT_ERR_MIGRATE_*. */
export const MIGRATION_ERRORS = {} as const;
