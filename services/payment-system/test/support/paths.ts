import { fileURLToPath } from 'node:url';

/** services/payment-system/, with a trailing slash. */
export const SYSTEM_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The cutover CLI, run as a user would (never imported: services stay independent of cutover's code). */
export const CUTOVER_CLI = `${REPO_ROOT}packages/cutover/bin/cutover.js`;
export const AUTH_DIR = `${SYSTEM_DIR}auth/`;
export const PAYMENTS_DIR = `${SYSTEM_DIR}payments/`;
