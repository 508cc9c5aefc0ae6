/** cutover.yml sections for backups, pre-deploy checks, validation and accessories. Each key must be optional. */
export const checksSectionsSchema = {};
