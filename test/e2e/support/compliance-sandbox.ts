import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, reservePortRange, type TestDatabase } from '@cutover/service-kit/testing';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { CLI, type CliResult, freePort, REPO_ROOT } from './sandbox.ts';

export const COMPLIANCE_DIR = join(REPO_ROOT, 'services/compliance');
export const TEST_JWT_SECRET = 'e2e-jwt-secret-0123456789abcdef0123456789';
const REDIS_URL = process.env.COMPLIANCE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

// biome-ignore lint/suspicious/noExplicitAny: a parsed cutover.yml, edited key by key
type Yaml = any;

export interface ComplianceSandboxOptions {
  label: string;
  /** Releases to package, each with the variables of its release.env. */
  releases: { version: string; env?: Record<string, string> }[];
  /** The `test` environment's rollout for each file, from the file's own (shorter durations; the test says what else). */
  editRollout: (rollout: Yaml, file: 'cutover.yml' | 'cutover.canary.yml') => Yaml;
  /** Instances of the web process (the real file says 3). */
  instances?: number;
}

export interface ComplianceSandbox {
  dir: string;
  /** The data directory of the `test` environment (records, agent). */
  dataDir: string;
  url: string;
  db: TestDatabase;
  /** `cutover <args> --config <file> --env test` in the sandbox. */
  cli(args: string[], file?: 'cutover.yml' | 'cutover.canary.yml', timeoutMs?: number): Promise<CliResult>;
  cleanup(): Promise<void>;
}

function runCli(args: string[], cwd: string, timeoutMs: number, env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr } as CliResult);
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The compliance service laid out as on a host, in a temp directory: both real config files with
 * the sandbox's ports, Redis prefix and fixture sanctions lists; its secrets read by the real
 * scripts/read-secret.sh from 0600 files; releases packaged by scripts/package-release.sh,
 * migrations applied by the deploys.
 */
export async function createComplianceSandbox(options: ComplianceSandboxOptions): Promise<ComplianceSandbox> {
  const dir = mkdtempSync(join(tmpdir(), `cmp-${options.label}-`));
  const redisPrefix = `cmp-e2e:${randomBytes(4).toString('hex')}:`;
  let db: TestDatabase | undefined;
  // cutover's own steps (migrations, checks) read these from its environment; instances get them as secrets.
  const cliEnv: Record<string, string> = { REDIS_URL };
  const cli = (args: string[], file: 'cutover.yml' | 'cutover.canary.yml' = 'cutover.yml', timeoutMs = 180_000) =>
    runCli([...args, '--config', join(dir, file), '--env', 'test'], dir, timeoutMs, cliEnv);
  const dataDir = join(dir, '.cutover-test');
  const cleanup = async () => {
    const pidFile = join(dataDir, 'agent.pid');
    let pid = Number.NaN;
    try {
      pid = Number(JSON.parse(readFileSync(pidFile, 'utf8')).pid);
    } catch {}
    await cli(['down', '--agent'], 'cutover.yml', 90_000).catch(() => undefined);
    for (let i = 0; Number.isInteger(pid) && i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    if (Number.isInteger(pid) && alive(pid)) process.kill(pid, 'SIGKILL');
    await db?.drop().catch(() => undefined);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${redisPrefix}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const release of options.releases) {
      const args = [join(COMPLIANCE_DIR, 'scripts/package-release.sh'), release.version];
      for (const [name, value] of Object.entries(release.env ?? {})) args.push('--env', `${name}=${value}`);
      execFileSync('sh', args, { env: { ...process.env, RELEASES_ROOT: dir }, stdio: 'pipe' });
    }
    db = await createTestDatabase(options.label, { prefix: 'cmp' });
    cliEnv.DATABASE_URL = db.url;
    // The secrets as scripts/read-secret.sh finds them without AWS: one 0600 file each in .secrets/.
    mkdirSync(join(dir, '.secrets'), { mode: 0o700 });
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(COMPLIANCE_DIR, 'scripts/read-secret.sh'), join(dir, 'scripts/read-secret.sh'));
    const secrets: Record<string, string> = {
      DATABASE_URL: db.url,
      REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      STRIPE_WEBHOOK_SECRET: 'whsec_e2e_stripe_0123456789abcdef',
      DOCUMENT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    };
    for (const [name, value] of Object.entries(secrets)) writeFileSync(join(dir, '.secrets', name), value, { mode: 0o600 });
    const httpPort = await freePort();
    const portRange = await reservePortRange();
    for (const file of ['cutover.yml', 'cutover.canary.yml'] as const) {
      // The real file as it ships, and beside it the `test` environment: what this sandbox changes.
      copyFileSync(join(COMPLIANCE_DIR, file), join(dir, file));
      const config: Yaml = parse(readFileSync(join(COMPLIANCE_DIR, file), 'utf8'), { merge: true });
      const overlay: Yaml = {
        env: {
          REDIS_KEY_PREFIX: redisPrefix,
          LOG_LEVEL: 'warn',
          DOCUMENT_STORAGE_DIR: join(dir, 'var/documents'),
          SANCTIONS_SDN_FILE: join(COMPLIANCE_DIR, 'test/fixtures/ofac/SDN.CSV'),
          SANCTIONS_ALT_FILE: join(COMPLIANCE_DIR, 'test/fixtures/ofac/ALT.CSV'),
          // The busy test machine would trip the shedder's event-loop threshold for reasons of its own.
          SHED_MAX_EVENT_LOOP_DELAY_MS: 2000,
        },
        processes: { web: { instances: options.instances ?? 2, health: { intervalMs: '500ms' } } },
        rollout: options.editRollout(config.rollout, file),
        agent: { httpPort, portRange },
        // A list is replaced whole: the same checks, the load check opened up for the shared machine.
        checks: config.checks.map((check: Yaml) => (check.kind === 'load' ? { ...check, maxLoadPerCore: 1000 } : check)),
        validation: { errorRate: { windowMs: '3s' } },
      };
      const header = '# The `test` environment of the end-to-end test (written by test/e2e/support/compliance-sandbox.ts)\n';
      writeFileSync(join(dir, file.replace(/\.yml$/, '.test.yml')), header + stringify(overlay));
    }
    if (!existsSync(join(dir, 'releases', options.releases[0].version, 'src/main.ts'))) throw new Error('packaging failed');
    return { dir, dataDir, url: `http://127.0.0.1:${httpPort}`, db, cli, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
