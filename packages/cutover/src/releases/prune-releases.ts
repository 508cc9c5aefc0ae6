import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ReleaseCopy {
  name: string;
  /** When it was exported or built (its marker), else the directory's mtime. */
  builtAtMs: number;
}

/**
 * Which exported or built releases to delete: all but the `keep` newest, never one in `protectedNames`
 * (a release with running instances, the one being deployed, the rollback target). Pure.
 */
export function planReleasePruning(copies: readonly ReleaseCopy[], keep: number, protectedNames: ReadonlySet<string>): string[] {
  const newestFirst = [...copies].sort((a, b) => b.builtAtMs - a.builtAtMs || (a.name < b.name ? -1 : 1));
  return newestFirst
    .slice(keep)
    .map((copy) => copy.name)
    .filter((name) => !protectedNames.has(name));
}

/**
 * Deletes old release copies of a service from `<releasesDir>/<service>` (with their marker and
 * `.previous` copy) so that `keepReleases` bounds the disk used. Only for the git and build
 * sources: a `directory` release is the user's own directory and is never touched. Returns the
 * names deleted.
 */
export function pruneReleases(releasesDir: string, service: string, keep: number, protectedNames: ReadonlySet<string>): string[] {
  const parent = join(releasesDir, service);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const copies: ReleaseCopy[] = names
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => {
      try {
        if (!statSync(join(parent, name)).isDirectory()) return [];
        return [{ name, builtAtMs: builtAt(parent, name) }];
      } catch {
        return [];
      }
    });
  const doomed = planReleasePruning(copies, keep, protectedNames);
  for (const name of doomed) {
    rmSync(join(parent, name), { recursive: true, force: true });
    rmSync(join(parent, `.${name}.release.json`), { force: true });
    rmSync(join(parent, `.${name}.previous`), { recursive: true, force: true });
  }
  return doomed;
}

function builtAt(parent: string, name: string): number {
  try {
    const marker = JSON.parse(readFileSync(join(parent, `.${name}.release.json`), 'utf8')) as { builtAt?: number };
    if (typeof marker.builtAt === 'number') return marker.builtAt;
  } catch {
    // No marker (a copy from before markers existed): its directory's time.
  }
  return statSync(join(parent, name)).mtimeMs;
}
