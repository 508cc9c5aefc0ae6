/**
 * Config sections owned by the database steps (migrations, backups, checks, validation,
 * accessories). Each key is spread into the top-level cutover.yml schema.
 */
export const databaseSectionsSchema = {};
