import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { DEFAULT_KEEP_INSTANCE_LOGS } from '../../config/defaults.ts';

/** Logs of finished instances kept per service (default 20): `cutover logs` can still read recent ones. */
export { DEFAULT_KEEP_INSTANCE_LOGS };

/**
 * Which instance logs of a service directory to delete: every instance not running (not in
 * `liveIds`) beyond the `keep` newest by last write. `files` are names such as `v1.web.d3.1.log`
 * and its rotations `v1.web.d3.1.log.1`; the instance is the name before `.log`. File times come
 * from the kernel's coarse clock (a few milliseconds), so two instances stopped moments apart can
 * share one; `finishOrder` (instance id → a number that grows with each stop) then says which
 * finished last. Pure.
 */
export function planInstanceLogPruning(
  files: readonly { name: string; mtimeMs: number }[],
  liveIds: ReadonlySet<string>,
  keep: number,
  finishOrder: ReadonlyMap<string, number> = new Map(),
): string[] {
  const newestByInstance = new Map<string, number>();
  for (const { name, mtimeMs } of files) {
    const id = instanceOf(name);
    if (id === null || liveIds.has(id)) continue;
    newestByInstance.set(id, Math.max(newestByInstance.get(id) ?? 0, mtimeMs));
  }
  const rank = (id: string) => finishOrder.get(id) ?? -1;
  const finished = [...newestByInstance].sort((a, b) => b[1] - a[1] || rank(b[0]) - rank(a[0]) || (a[0] < b[0] ? -1 : 1));
  const doomed = new Set(finished.slice(keep).map(([id]) => id));
  return files.filter(({ name }) => doomed.has(instanceOf(name) ?? '')).map(({ name }) => name);
}

/** Deletes what planInstanceLogPruning picks in `<logDir>/<service>`; returns the names removed. */
export function pruneInstanceLogs(
  serviceLogDir: string,
  liveIds: ReadonlySet<string>,
  keep: number,
  finishOrder: ReadonlyMap<string, number> = new Map(),
): string[] {
  let names: string[];
  try {
    names = readdirSync(serviceLogDir);
  } catch {
    return [];
  }
  const files = names.flatMap((name) => {
    try {
      return [{ name, mtimeMs: statSync(join(serviceLogDir, name)).mtimeMs }];
    } catch {
      return [];
    }
  });
  const doomed = planInstanceLogPruning(files, liveIds, keep, finishOrder);
  for (const name of doomed) rmSync(join(serviceLogDir, name), { force: true });
  return doomed;
}

function instanceOf(name: string): string | null {
  const at = name.lastIndexOf('.log');
  if (at <= 0) return null;
  const rest = name.slice(at + 4);
  return rest === '' || /^\.\d+$/.test(rest) ? name.slice(0, at) : null;
}
