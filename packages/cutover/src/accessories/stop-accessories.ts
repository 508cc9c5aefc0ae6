import type { LoadedConfig } from '../config/load-config.ts';
import { accessoryDir, readAccessoryState } from './accessory-state.ts';
import { stopPrivatePostgres } from './private-postgres.ts';
import { stopPrivateRedis } from './private-redis.ts';

export interface StoppedAccessory {
  name: string;
  /** False when no private server of that name was running. */
  stopped: boolean;
}

/** Stops the private servers cutover started for this service; declared (external) servers are never touched. Data stays. */
export async function stopAccessories(loaded: LoadedConfig): Promise<StoppedAccessory[]> {
  const results: StoppedAccessory[] = [];
  for (const [name, config] of Object.entries(loaded.config.accessories ?? {})) {
    const dir = accessoryDir(loaded, name);
    const state = await readAccessoryState(dir);
    if (state === undefined) {
      results.push({ name, stopped: false });
      continue;
    }
    const stopped = config.kind === 'postgres' ? await stopPrivatePostgres(dir) : await stopPrivateRedis(dir);
    results.push({ name, stopped });
  }
  return results;
}
