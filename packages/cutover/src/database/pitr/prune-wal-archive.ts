import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { segmentBefore } from './wal-file-name.ts';

/**
 * Deletes the archived WAL segments that no kept base backup needs: those before `oldestNeeded`
 * (pg_archivecleanup's rule). Timeline history and backup-label files stay. Returns how many went.
 */
export async function pruneWalArchive(archiveDir: string, oldestNeeded: string): Promise<number> {
  let deleted = 0;
  for (const file of await readdir(archiveDir)) {
    if (!segmentBefore(file, oldestNeeded)) continue;
    await rm(join(archiveDir, file), { force: true });
    deleted++;
  }
  return deleted;
}
