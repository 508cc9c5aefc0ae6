// The service laid out as on a host, in a temp directory, for the end-to-end test: a cutover.yml
// derived from the real one (ports, database, Redis prefix and a few timings differ), releases
// packaged by scripts/package-release.sh, the secrets file, and a node_modules link.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, freePort, reservePortRange, runCutover } from '@cutover/service-kit/testing';
import { parse, stringify } from 'yaml';
import { TEST_MASTER_KEY } from './card-env.ts';
import { REPO_ROOT, SERVICE_DIR } from './paths.ts';
import { type RedisPrefix, redisPrefix, TEST_REDIS_URL } from './redis-prefix.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface Sandbox {
  dir: string;
  httpPort: number;
  db: TestDatabase;
  redis: RedisPrefix;
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  cleanup(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function endProcess(pid: number): Promise<void> {
  for (const [signal, waitMs] of [
    [null, 5_000],
    ['SIGTERM', 5_000],
    ['SIGKILL', 2_000],
  ] as const) {
    if (!alive(pid)) return;
    if (signal) process.kill(pid, signal);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && alive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function createSandbox(options: {
  label: string;
  versions: string[];
  env?: Record<string, string>;
  rollout?: Record<string, unknown>;
}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), `cg-${options.label}-`));
  const redis = redisPrefix(options.label);
  let db: TestDatabase | undefined;
  const config = join(dir, 'cutover.yml');
  const cli = (args: string[], timeoutMs = 180_000) => runCutover([...args, '--config', config], { cwd: dir, timeoutMs });
  const cleanup = async () => {
    const pidFile = join(dir, '.cutover', 'agent.pid');
    let agentPid = Number.NaN;
    try {
      if (existsSync(pidFile)) agentPid = Number((JSON.parse(readFileSync(pidFile, 'utf8')) as { pid?: unknown }).pid);
    } catch {
      // no pid file: nothing to wait for
    }
    await cli(['down', '--agent'], 90_000).catch(() => undefined);
    if (Number.isInteger(agentPid) && agentPid > 0) await endProcess(agentPid);
    await db?.drop().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    mkdirSync(join(dir, 'scripts'));
    execFileSync('cp', [join(SERVICE_DIR, 'scripts/backup-redis.sh'), join(dir, 'scripts/')]);
    for (const version of options.versions)
      execFileSync('sh', [join(SERVICE_DIR, 'scripts/package-release.sh'), version], {
        env: { ...process.env, RELEASES_ROOT: dir },
        stdio: 'pipe',
      });
    mkdirSync(join(dir, '.secrets'), { mode: 0o700 });
    writeFileSync(join(dir, '.secrets/card-generation.env'), `CARD_MASTER_KEY=${TEST_MASTER_KEY}\n`, { mode: 0o600 });
    db = await createTestDatabase(options.label);
    const httpPort = await freePort();
    // Instances in a block of ports reserved for this test process (no other test hands them out).
    const portRange = await reservePortRange();
    // biome-ignore lint/suspicious/noExplicitAny: a parsed cutover.yml, edited key by key
    const derived: any = parse(readFileSync(join(SERVICE_DIR, 'cutover.yml'), 'utf8'));
    Object.assign(derived.env, {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      LOG_LEVEL: 'warn',
      ...options.env,
    });
    if (options.rollout) derived.rollout = options.rollout;
    derived.agent.httpPort = httpPort;
    derived.agent.portRange = portRange;
    // The test machine is shared and busy: a load-average gate would stop deploys for unrelated reasons.
    for (const check of derived.checks) if (check.kind === 'load') check.maxLoadPerCore = 1000;
    derived.validation.errorRate.windowMs = '3s';
    writeFileSync(config, stringify(derived));
    return { dir, httpPort, db, redis, cli, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
