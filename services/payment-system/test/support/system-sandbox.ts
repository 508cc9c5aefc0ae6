import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, freePort, pathWithRepoBin, reservePortRange, runCutover } from '@cutover/service-kit/testing';
import { parse, stringify } from 'yaml';
import { AUTH_DIR, PAYMENTS_DIR, REPO_ROOT, SYSTEM_DIR } from './paths.ts';
import { redisPrefix } from './redis-prefix.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface SandboxOptions {
  label: string;
  /** Release directories to package (same code, different names). */
  releases: string[];
  /** rollout.pauseMs of both services (the real files say 10s). */
  pauseMs: string;
  /** rollout.healthTimeoutMs (the real files say 60s). */
  healthTimeoutMs?: string;
  /** validation.errorRate.windowMs (the real files say 30s); default 3s. */
  errorRateWindow?: string;
}

export interface SystemSandbox {
  dir: string;
  httpPort: number;
  httpsPort: number;
  /** PEM of the self-signed certificate the agent serves on httpsPort. */
  caCert: string;
  authDb: TestDatabase;
  paymentsDb: TestDatabase;
  configOf(service: 'auth' | 'payments'): string;
  cli(service: 'auth' | 'payments', args: string[], timeoutMs?: number): Promise<CliResult>;
  /** `cutover down`, drop both databases, delete Redis keys and the directory; never throws. */
  cleanup(): Promise<void>;
}

/**
 * The payment system laid out as on a host, in a temp directory: `auth/` and `payments/` with
 * cutover.yml files derived from the real ones (ports, database URLs, the throttle prefix, the
 * rollout pause, the error-rate window and the load gate differ), releases packaged by
 * scripts/package-release.sh (with their migrations, applied by the deploys), secrets
 * written by scripts/make-dev-secrets.sh, and a node_modules link so the releases resolve their
 * dependencies. Both files share `.cutover/`: one agent.
 */
export async function createSystemSandbox(options: SandboxOptions): Promise<SystemSandbox> {
  const dir = mkdtempSync(join(tmpdir(), `ps-${options.label}-`));
  const redis = redisPrefix(options.label);
  let authDb: TestDatabase | undefined;
  let paymentsDb: TestDatabase | undefined;
  const configOf = (service: 'auth' | 'payments') => join(dir, service, 'cutover.yml');
  const cli = (service: 'auth' | 'payments', args: string[], timeoutMs = 180_000) =>
    runCutover([...args, '--config', configOf(service)], { cwd: dir, timeoutMs });
  const cleanup = async () => {
    await cli('auth', ['down', '--agent'], 90_000).catch(() => undefined);
    await Promise.all([authDb?.drop().catch(() => undefined), paymentsDb?.drop().catch(() => undefined)]);
    await redis.cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    const env = { ...process.env, PATH: pathWithRepoBin(), RELEASES_ROOT: dir };
    for (const release of options.releases)
      execFileSync('sh', [join(SYSTEM_DIR, 'scripts/package-release.sh'), release], { env, stdio: 'pipe' });
    execFileSync('sh', [join(SYSTEM_DIR, 'scripts/make-dev-secrets.sh'), join(dir, '.secrets')], { env, stdio: 'pipe' });
    [authDb, paymentsDb] = await Promise.all([
      createTestDatabase(`${options.label}_auth`),
      createTestDatabase(`${options.label}_payments`),
    ]);
    const httpPort = await freePort();
    const httpsPort = await freePort();
    // A block reserved for this test process, below the kernel's ephemeral ports (32768+).
    const portRange = await reservePortRange();
    const local = (text: string) => text.replaceAll('127.0.0.1:8080', `127.0.0.1:${httpPort}`);

    const derive = (service: 'auth' | 'payments', sourceDir: string, env: Record<string, string>) => {
      // biome-ignore lint/suspicious/noExplicitAny: a parsed cutover.yml, edited key by key
      const config: any = parse(local(readFileSync(join(sourceDir, 'cutover.yml'), 'utf8')));
      Object.assign(config.env, { LOG_LEVEL: 'warn', ...env });
      config.rollout.pauseMs = options.pauseMs;
      if (options.healthTimeoutMs) config.rollout.healthTimeoutMs = options.healthTimeoutMs;
      config.agent.httpPort = httpPort;
      config.agent.httpsPort = httpsPort;
      config.agent.portRange = portRange;
      // The test machine is shared and busy: a load-average gate would stop deploys for reasons unrelated to the system.
      for (const check of config.checks) if (check.kind === 'load') check.maxLoadPerCore = 1000;
      // The 5xx rate is measured over a shorter window than production's 30 s.
      config.validation.errorRate.windowMs = options.errorRateWindow ?? '3s';
      mkdirSync(join(dir, service), { recursive: true });
      writeFileSync(configOf(service), stringify(config));
    };
    derive('auth', AUTH_DIR, { AUTH_DATABASE_URL: authDb.url, THROTTLE_KEY_PREFIX: redis.prefix });
    derive('payments', PAYMENTS_DIR, { PAYMENTS_DATABASE_URL: paymentsDb.url });
    return {
      dir,
      httpPort,
      httpsPort,
      caCert: readFileSync(join(dir, '.secrets/tls/cert.pem'), 'utf8'),
      authDb,
      paymentsDb,
      configOf,
      cli,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
