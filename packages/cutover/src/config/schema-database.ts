import { checksSectionsSchema } from './schema-checks.ts';
import { migrationsSectionsSchema } from './schema-migrations.ts';

/**
 * Config sections owned by the database steps (migrations, backups, checks, validation,
 * accessories). Each key is spread into the top-level cutover.yml schema.
 */
export const databaseSectionsSchema = {
  ...migrationsSectionsSchema,
  ...checksSectionsSchema,
};
