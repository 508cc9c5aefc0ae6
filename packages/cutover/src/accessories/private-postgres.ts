import { randomBytes } from 'node:crypto';
import { appendFile, chmod, chown, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { CutoverError } from '../errors/cutover-error.ts';
import { findFreePort } from '../shared/free-port.ts';
import { TRAVERSABLE_DIR_MODE } from '../shared/private-files.ts';
import { describeExit, runProcess } from '../shared/run-process.ts';
import { type AccessoryState, makePrivateDir, readAccessoryState, writeAccessoryState } from './accessory-state.ts';
import {
  buildInitdbCommand,
  buildPgCtlStartCommand,
  buildPgCtlStopCommand,
  buildRunAs,
  type CommandSpec,
  PRIVATE_POSTGRES_CONF,
} from './build-accessory-commands.ts';
import { findPostgresBinaries } from './find-accessory-binaries.ts';

export interface PrivatePostgresOptions {
  name: string;
  /** `<dataDir>/accessories/<name>`; the cluster lives in its pgdata/ subdirectory. */
  dir: string;
  database: string;
  startTimeoutMs: number;
  log?: (message: string) => void;
}

const STOP_TIMEOUT_MS = 30_000;
const ID_TIMEOUT_MS = 5_000;

/**
 * Starts (creating on first use) a private PostgreSQL cluster on a free loopback port and makes sure
 * the service's database exists. As root, the cluster directory belongs to the postgres user and
 * every server program runs as that user, because PostgreSQL refuses to run as root.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions): Promise<AccessoryState> {
  const log = options.log ?? (() => {});
  const bins = findPostgresBinaries();
  const euid = process.geteuid?.() ?? -1;
  const pgdata = join(options.dir, 'pgdata');
  await makePrivateDir(options.dir);
  if (euid === 0) {
    // The data dir and accessories/ are private to root; the postgres user must pass through them.
    for (const parent of [dirname(dirname(options.dir)), dirname(options.dir)]) await chmod(parent, TRAVERSABLE_DIR_MODE);
    await handDirectoryToPostgres(options.dir);
  }
  const previous = await readAccessoryState(options.dir);
  let password = previous?.password;
  if (!(await exists(join(pgdata, 'PG_VERSION'))) || password === undefined) {
    password = randomBytes(18).toString('hex');
    await initCluster(bins.initdb, options.dir, pgdata, password, euid);
    log(`initialised a private PostgreSQL cluster in ${pgdata}`);
  }
  const port = await findFreePort();
  const logFile = join(options.dir, 'postgres.log');
  const start = buildRunAs(buildPgCtlStartCommand({ pgCtl: bins.pgCtl, pgdata, logFile, port, timeoutMs: options.startTimeoutMs }), euid);
  const started = await run(start, options.dir, options.startTimeoutMs + 5_000);
  if (started.exitCode !== 0) {
    const tail = await readFile(logFile, 'utf8').then(
      (t) => t.trim().split('\n').slice(-5).join(' | '),
      () => '',
    );
    throw new CutoverError(
      'CUT_ERR_ACCESSORY_START_FAILED',
      `private PostgreSQL "${options.name}" did not start: pg_ctl ${describeExit(started)}${tail ? `; log: ${tail}` : ''}`,
      {
        where: pgdata,
        hint: `read ${logFile}`,
      },
    );
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${options.database}`;
  await ensureDatabase(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, options.database);
  const state: AccessoryState = {
    name: options.name,
    kind: 'postgres',
    port,
    url,
    password,
    database: options.database,
    startedAt: new Date().toISOString(),
  };
  await writeAccessoryState(options.dir, state);
  log(`private PostgreSQL "${options.name}" listens on 127.0.0.1:${port}`);
  return state;
}

/** Stops the private cluster; false when it was not running. */
export async function stopPrivatePostgres(dir: string): Promise<boolean> {
  const pgdata = join(dir, 'pgdata');
  if (!(await exists(join(pgdata, 'postmaster.pid')))) return false;
  const { pgCtl } = findPostgresBinaries();
  const result = await run(
    buildRunAs(buildPgCtlStopCommand(pgCtl, pgdata, STOP_TIMEOUT_MS), process.geteuid?.() ?? -1),
    dir,
    STOP_TIMEOUT_MS + 5_000,
  );
  if (result.exitCode === 0) return true;
  if (/not running|does not exist/i.test(result.stderr)) return false;
  throw new CutoverError(
    'CUT_ERR_ACCESSORY_START_FAILED',
    `could not stop the private PostgreSQL in ${pgdata}: pg_ctl ${describeExit(result)}`,
    {
      where: pgdata,
      hint: `read ${join(dir, 'postgres.log')}`,
    },
  );
}

async function initCluster(initdb: string, dir: string, pgdata: string, password: string, euid: number): Promise<void> {
  await rm(pgdata, { recursive: true, force: true });
  const passwordFile = join(dir, '.initdb-password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (euid === 0) await chownToPostgres(passwordFile);
    const result = await run(buildRunAs(buildInitdbCommand({ initdb, pgdata, passwordFile }), euid), dir, 120_000);
    if (result.exitCode !== 0) {
      throw new CutoverError('CUT_ERR_ACCESSORY_START_FAILED', `initdb ${describeExit(result)}`, {
        where: pgdata,
        hint: 'read the initdb error above',
      });
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
  await appendFile(join(pgdata, 'postgresql.conf'), `\n# added by cutover (private accessory)\n${PRIVATE_POSTGRES_CONF.join('\n')}\n`);
}

/** As root: the postgres user must own the accessory directory and reach it through every parent. */
async function handDirectoryToPostgres(dir: string): Promise<void> {
  await chownToPostgres(dir);
  const probe = await runProcess('runuser', ['-u', 'postgres', '--', 'test', '-w', dir], { timeoutMs: ID_TIMEOUT_MS });
  if (probe.exitCode !== 0) {
    throw new CutoverError('CUT_ERR_ACCESSORY_START_FAILED', `the postgres user cannot reach ${dir}`, {
      where: dir,
      hint: 'PostgreSQL runs as the postgres user: make every parent directory of the data dir traversable (chmod o+x), or use a data dir outside private home directories',
    });
  }
}

async function chownToPostgres(path: string): Promise<void> {
  const [uid, gid] = await Promise.all([idOf('-u'), idOf('-g')]);
  await chown(path, uid, gid);
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  const result = await runProcess('id', [flag, 'postgres'], { timeoutMs: ID_TIMEOUT_MS });
  const id = Number(result.stdout.trim());
  if (result.exitCode !== 0 || !Number.isInteger(id)) {
    throw new CutoverError('CUT_ERR_ACCESSORY_START_FAILED', 'running as root, but there is no postgres user to run PostgreSQL as', {
      hint: 'create it (Debian: installing the postgresql package does), or run cutover as an ordinary user',
    });
  }
  return id;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function run(spec: CommandSpec, cwd: string, timeoutMs: number) {
  return runProcess(spec.command, spec.args, { cwd, timeoutMs });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
