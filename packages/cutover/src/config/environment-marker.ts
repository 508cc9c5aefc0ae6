import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../shared/write-file-atomic.ts';

/** The file in a data directory that names the environment it belongs to (null: the base config alone). */
export const ENVIRONMENT_MARKER = 'environment.json';

/** The environment a data directory was started for; undefined when no agent recorded one yet. */
export function readEnvironmentMarker(dataDir: string): string | null | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, ENVIRONMENT_MARKER), 'utf8')) as { environment?: unknown };
    return typeof parsed.environment === 'string' ? parsed.environment : null;
  } catch {
    return undefined;
  }
}

/** Records which environment a data directory belongs to (the agent does, when it starts); never half-written. */
export function writeEnvironmentMarker(dataDir: string, environment: string | null): void {
  writeFileAtomic(join(dataDir, ENVIRONMENT_MARKER), `${JSON.stringify({ environment })}\n`);
}
