import { CHECK_ERRORS } from './check-errors.ts';
import { MIGRATION_ERRORS } from './migration-errors.ts';

export const DATABASE_ERRORS = {
  ...MIGRATION_ERRORS,
  ...CHECK_ERRORS,
} as const;
