import { copyFileSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';

/**
 * Rotates `file` when it is larger than maxBytes: `.1` … `.keepFiles` shift up by one, the live
 * file is copied to `.1` and then truncated in place. Copy-and-truncate (not rename) because the
 * app holds the file open and must keep writing to the same path; the cost is that lines written
 * between the copy and the truncate are lost. Returns whether a rotation happened.
 */
export function rotateLogIfLarger(file: string, maxBytes: number, keepFiles: number): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  rmSync(`${file}.${keepFiles}`, { force: true });
  for (let n = keepFiles - 1; n >= 1; n--) {
    try {
      renameSync(`${file}.${n}`, `${file}.${n + 1}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}
