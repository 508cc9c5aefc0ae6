import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../shared/private-files.ts';

/** Where an instance's stdout and stderr go: `<logDir>/<service>/<instanceId>.log`. */
export function instanceLogPath(logDir: string, service: string, instanceId: string): string {
  return join(logDir, service, `${instanceId}.log`);
}

/**
 * Opens the log for appending and returns the descriptor to hand to the child as stdout/stderr.
 * O_APPEND matters twice: the app keeps writing even if the agent dies, and after the supervisor
 * truncates the file for rotation every write still lands at the new end instead of leaving a hole.
 * The log and its directories are private (0600, 0700): an app's output can hold its secrets.
 */
export function openInstanceLog(file: string): number {
  const serviceDir = dirname(file);
  ensurePrivateDir(dirname(serviceDir));
  ensurePrivateDir(serviceDir);
  return openSync(file, 'a', PRIVATE_FILE_MODE);
}

export function closeInstanceLog(fd: number): void {
  closeSync(fd);
}

/** A line from the supervisor itself (spawn, exit, restart), so `cutover logs` tells the whole story. */
export function appendSupervisorNote(file: string, text: string, atMs: number = Date.now()): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `[cutover ${new Date(atMs).toISOString()}] ${text}\n`, { mode: PRIVATE_FILE_MODE });
  } catch {
    // A note is a courtesy; an unwritable log must not stop supervision.
  }
}

/** The last line the app itself wrote (not a supervisor note), to explain an exit; '' when none. */
export function lastAppLogLine(file: string, maxBytes = 4096): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim());
    return lines.filter((l) => l !== '' && !l.startsWith('[cutover ')).at(-1) ?? '';
  } finally {
    closeSync(fd);
  }
}
