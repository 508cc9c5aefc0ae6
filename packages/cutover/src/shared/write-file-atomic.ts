import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes a whole file or nothing: a temporary file beside it (created with `mode`, 0600 by default)
 * renamed over it. A reader sees the old contents or the new ones, never a torn or empty file, and
 * the file is never world-readable, even for a moment.
 */
export function writeFileAtomic(file: string, contents: string, mode = 0o600): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, contents, { mode, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
