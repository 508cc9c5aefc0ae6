import { createHash } from 'node:crypto';

/**
 * sha256 (hex) of a migration file. Line endings are normalized and a byte-order mark dropped,
 * so a checkout on another OS does not look like an edit.
 */
export function migrationChecksum(text: string): string {
  return createHash('sha256').update(normalizeMigrationText(text)).digest('hex');
}

export function normalizeMigrationText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}
