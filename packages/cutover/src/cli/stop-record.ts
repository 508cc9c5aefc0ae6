import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What served when `cutover down` stopped a service, so that `cutover up` can bring it back. */
export interface StopRecord {
  service: string;
  release: string;
  stoppedAt: number;
}

function recordFile(dataDir: string, service: string): string {
  return join(dataDir, 'stopped', `${service}.json`);
}

export function writeStopRecord(dataDir: string, record: StopRecord): void {
  mkdirSync(join(dataDir, 'stopped'), { recursive: true, mode: 0o700 });
  writeFileSync(recordFile(dataDir, record.service), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function readStopRecord(dataDir: string, service: string): StopRecord | undefined {
  const file = recordFile(dataDir, service);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as StopRecord;
    return typeof record.release === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

export function clearStopRecord(dataDir: string, service: string): void {
  rmSync(recordFile(dataDir, service), { force: true });
}
