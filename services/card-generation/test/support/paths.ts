import { fileURLToPath } from 'node:url';

/** services/card-generation/, with a trailing slash. */
export const SERVICE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The cutover CLI, run as a user would (never imported: the service stays independent of cutover's code). */
export const CUTOVER_CLI = `${REPO_ROOT}packages/cutover/bin/cutover.js`;
export const MIGRATIONS_DIR = `${SERVICE_DIR}migrations`;
