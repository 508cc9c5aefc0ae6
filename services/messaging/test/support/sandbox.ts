import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, freePort, reservePortRange, runCutover } from '@cutover/service-kit/testing';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, SERVICE_DIR } from './paths.ts';
import { type RedisPrefix, redisPrefix, TEST_REDIS_URL } from './redis-prefix.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface SandboxOptions {
  label: string;
  /** Release directories to package, with their rollout stage. */
  releases: { version: string; stage: 'disabled' | 'shadow' | 'enabled' }[];
  /** Replaces cutover.yml's rollout section (the real one is a canary with hour-long gates)... */
  rollout?: Record<string, unknown>;
  /** ...or rewrites it (shorter durations, same steps and metrics). */
  editRollout?: (rollout: Record<string, unknown>) => Record<string, unknown>;
  /** Extra env for every process. */
  env?: Record<string, string>;
}

export interface Sandbox {
  dir: string;
  httpPort: number;
  db: TestDatabase;
  redis: RedisPrefix;
  config: string;
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** `cutover down`, drop the database, delete the Redis keys and the directory; never throws. */
  cleanup(): Promise<void>;
}

/** The agent's pid from its pid file (JSON with `pid`), NaN when there is none. */
function readAgentPid(pidFile: string): number {
  if (!existsSync(pidFile)) return Number.NaN;
  try {
    return Number((JSON.parse(readFileSync(pidFile, 'utf8')) as { pid?: unknown }).pid);
  } catch {
    return Number.NaN;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `graceMs` for `pid` to exit, then SIGTERM, then SIGKILL. */
async function endProcess(pid: number, graceMs: number): Promise<void> {
  for (const [signal, waitMs] of [
    [null, graceMs],
    ['SIGTERM', 5_000],
    ['SIGKILL', 2_000],
  ] as const) {
    if (!alive(pid)) return;
    if (signal) process.kill(pid, signal);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && alive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The service laid out as on a host, in a temp directory: a cutover.yml derived from the real one
 * (ports, database, Redis prefix, rollout and the error-rate window differ), releases packaged by
 * scripts/package-release.sh (their migrations are applied by the deploys), and a node_modules
 * link so the releases resolve their dependencies.
 */
export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), `msg-${options.label}-`));
  const redis = redisPrefix(options.label);
  let db: TestDatabase | undefined;
  const config = join(dir, 'cutover.yml');
  const cli = (args: string[], timeoutMs = 180_000) => runCutover([...args, '--config', config], { cwd: dir, timeoutMs });
  const cleanup = async () => {
    // `cutover down` returns once the agent's admin socket is gone, which can be before the agent
    // process has exited; the agent this sandbox started is waited for, and ended by its pid.
    const pidFile = join(dir, '.cutover', 'agent.pid');
    const agentPid = readAgentPid(pidFile);
    await cli(['down', '--agent'], 90_000).catch(() => undefined);
    if (Number.isInteger(agentPid) && agentPid > 0) await endProcess(agentPid, 5_000);
    await db?.drop().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const { version, stage } of options.releases) {
      execFileSync('sh', [join(SERVICE_DIR, 'scripts/package-release.sh'), version, '--stage', stage], {
        env: { ...process.env, RELEASES_ROOT: dir },
        stdio: 'pipe',
      });
    }
    db = await createTestDatabase(options.label);
    const httpPort = await freePort();
    // A block reserved for this test process, below the kernel's ephemeral range (32768+).
    const portRange = await reservePortRange();
    // biome-ignore lint/suspicious/noExplicitAny: a parsed cutover.yml, edited key by key
    const derived: any = parse(
      readFileSync(join(SERVICE_DIR, 'cutover.yml'), 'utf8').replaceAll('127.0.0.1:8090', `127.0.0.1:${httpPort}`),
    );
    Object.assign(derived.env, {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      STREAM_KEY_PREFIX: redis.prefix,
      LOG_LEVEL: 'warn',
      ...options.env,
    });
    if (options.rollout) derived.rollout = options.rollout;
    if (options.editRollout) derived.rollout = options.editRollout(derived.rollout);
    derived.agent.httpPort = httpPort;
    derived.agent.portRange = portRange;
    // The test machine is shared and busy: a load-average gate would stop deploys for unrelated reasons.
    for (const check of derived.checks) if (check.kind === 'load') check.maxLoadPerCore = 1000;
    derived.validation.errorRate.windowMs = '3s';
    writeFileSync(config, stringify(derived));
    return { dir, httpPort, db, redis, config, cli, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
