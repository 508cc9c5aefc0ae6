import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';

/** What cutover remembers about a private accessory it created: enough to find, reuse and stop it. */
export interface AccessoryState {
  name: string;
  kind: 'postgres' | 'redis';
  port: number;
  /** Full URL including the generated password. The state file is mode 0600. */
  url: string;
  /** Generated at creation; kept so a restart of the same data reuses it. */
  password: string;
  /** PostgreSQL: the database created for the service. */
  database?: string;
  startedAt: string;
}

/** `<dataDir>/accessories/<name>`. */
export function accessoryDir(loaded: LoadedConfig, name: string): string {
  return join(loaded.dataDir, 'accessories', name);
}

const STATE_FILE = 'accessory.json';

export async function readAccessoryState(dir: string): Promise<AccessoryState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as AccessoryState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeAccessoryState(dir: string, state: AccessoryState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${STATE_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, STATE_FILE));
}

/**
 * Creates the accessory directory, private to its owner. Parents (the data dir, accessories/) get
 * the usual mode: as root, the postgres user must be able to traverse them to reach its cluster.
 */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o700);
}
