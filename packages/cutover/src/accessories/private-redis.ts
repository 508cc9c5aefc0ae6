import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeRedis } from '../checks/redis-probe.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { findFreePort } from '../shared/free-port.ts';
import { isPidAlive } from '../shared/process-group.ts';
import { describeExit, runProcess } from '../shared/run-process.ts';
import { type AccessoryState, makePrivateDir, readAccessoryState, writeAccessoryState } from './accessory-state.ts';
import { buildRedisConf } from './build-accessory-commands.ts';
import { findRedisServer } from './find-accessory-binaries.ts';

export interface PrivateRedisOptions {
  name: string;
  /** `<dataDir>/accessories/<name>`: redis.conf, the append-only file, the log and the pid file. */
  dir: string;
  startTimeoutMs: number;
  log?: (message: string) => void;
}

const POLL_MS = 50;
const PING_TIMEOUT_MS = 1_000;
const STOP_TIMEOUT_MS = 10_000;

/** Starts a private, daemonized redis-server on a free loopback port and waits until it answers PING. */
export async function startPrivateRedis(options: PrivateRedisOptions): Promise<AccessoryState> {
  const log = options.log ?? (() => {});
  const redisServer = findRedisServer();
  await makePrivateDir(options.dir);
  const password = (await readAccessoryState(options.dir))?.password ?? randomBytes(18).toString('hex');
  const port = await findFreePort();
  const confFile = join(options.dir, 'redis.conf');
  await writeFile(confFile, buildRedisConf({ dir: options.dir, port, password }), { mode: 0o600 });
  const started = await runProcess(redisServer, [confFile], { cwd: options.dir, timeoutMs: options.startTimeoutMs });
  if (started.exitCode !== 0) {
    throw new CutoverError(
      'CUT_ERR_ACCESSORY_START_FAILED',
      `private Redis "${options.name}" did not start: redis-server ${describeExit(started)}`,
      {
        where: options.dir,
        hint: `read ${join(options.dir, 'redis.log')}`,
      },
    );
  }
  const address = { host: '127.0.0.1', port, password, tls: false };
  const deadline = Date.now() + options.startTimeoutMs;
  for (;;) {
    const ping = await probeRedis(address, PING_TIMEOUT_MS);
    if (ping.outcome === 'pass') break;
    if (Date.now() > deadline) {
      await stopPrivateRedis(options.dir).catch(() => false);
      const tail = await readFile(join(options.dir, 'redis.log'), 'utf8').then(
        (t) => t.trim().split('\n').slice(-3).join(' | '),
        () => '',
      );
      throw new CutoverError(
        'CUT_ERR_ACCESSORY_START_FAILED',
        `private Redis "${options.name}" did not answer within ${options.startTimeoutMs}ms: ${ping.message}${tail ? `; log: ${tail}` : ''}`,
        {
          where: options.dir,
          hint: `read ${join(options.dir, 'redis.log')}`,
        },
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const state: AccessoryState = {
    name: options.name,
    kind: 'redis',
    port,
    url: `redis://:${password}@127.0.0.1:${port}`,
    password,
    startedAt: new Date().toISOString(),
  };
  await writeAccessoryState(options.dir, state);
  log(`private Redis "${options.name}" listens on 127.0.0.1:${port}`);
  return state;
}

/** Stops the private server (SIGTERM, then SIGKILL after 10s); false when it was not running. */
export async function stopPrivateRedis(dir: string): Promise<boolean> {
  const pidFile = join(dir, 'redis.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isPidAlive(pid) || !(await isRedis(pid))) {
    await rm(pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await rm(pidFile, { force: true });
  return true;
}

/** A pid file can outlive its process and the pid be reused: only signal a redis-server. */
async function isRedis(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('redis-server');
  } catch (error) {
    return (
      (error as NodeJS.ErrnoException).code !== 'ENOENT' ||
      !(await readFile('/proc/self/cmdline').then(
        () => true,
        () => false,
      ))
    );
  }
}
