import { dirname, join } from 'node:path';
import { findExecutable, listPgBinDirs } from '../database/backup/find-pg-tool.ts';
import { CutoverError } from '../errors/cutover-error.ts';

export interface PostgresBinaries {
  initdb: string;
  pgCtl: string;
}

/** Where distributions put redis-server besides PATH. */
const REDIS_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

/** initdb and pg_ctl from the same directory, newest PostgreSQL first (Debian keeps them off PATH). */
export function findPostgresBinaries(): PostgresBinaries {
  const dirs = listPgBinDirs();
  for (const dir of dirs) {
    const initdb = findExecutable('initdb', [dir]);
    if (initdb === undefined) continue;
    const pgCtl = findExecutable('pg_ctl', [dirname(initdb)]);
    if (pgCtl !== undefined) return { initdb, pgCtl };
  }
  throw new CutoverError('CUT_ERR_ACCESSORY_BINARY_MISSING', 'initdb and pg_ctl were not found, so no private PostgreSQL can be started', {
    hint: 'install the PostgreSQL server (Debian: apt-get install postgresql), or point the accessory at a running server (url:)',
    details: { searched: dirs },
  });
}

export function findRedisServer(): string {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...REDIS_DIRS];
  const found = findExecutable('redis-server', dirs);
  if (found !== undefined) return found;
  throw new CutoverError('CUT_ERR_ACCESSORY_BINARY_MISSING', 'redis-server was not found, so no private Redis can be started', {
    hint: 'install Redis (Debian: apt-get install redis-server), or point the accessory at a running server (url:)',
    details: { searched: dirs.map((d) => join(d, 'redis-server')) },
  });
}
