/** cutover.yml sections for the migrations runner (`database`, `migrations`). Each key must be optional. */
export const migrationsSectionsSchema = {};
