import { randomBytes } from 'node:crypto';
import { parseEnvConfig } from '@cutover/service-kit';
import type pg from 'pg';
import { ADMIN_SCOPE, createTokenService, READ_SCOPE, WRITE_SCOPE } from '../../src/auth/token-service.ts';
import { buildSerializationService } from '../../src/build-serialization-service.ts';
import { serializationEnvSchema } from '../../src/config/serialization-config.ts';
import { TEST_REDIS_URL } from './redis-prefix.ts';

export interface RunningService {
  url: string;
  /** The instance's own PostgreSQL pool (its session settings). */
  pool: pg.Pool;
  stop(): Promise<void>;
}

/** The env a test instance runs with (the guide's variables, test values). */
export function serviceEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DB_POOL_SIZE: '5',
    REDIS_URL: TEST_REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    SHUTDOWN_DELAY_MS: '0',
    SHUTDOWN_GRACE_PERIOD_MS: '5000',
    ...extra,
  };
}

export const TEST_JWT_SECRET = `test-secret-${randomBytes(16).toString('hex')}`;

/** A token of the test secret with read, write and admin scopes (or those given). */
export function testToken(subject = 'tester', scopes = [READ_SCOPE, WRITE_SCOPE, ADMIN_SCOPE], ttlSec = 600): Promise<string> {
  return createTokenService(TEST_JWT_SECRET, 3600).sign(subject, scopes, ttlSec);
}

/** The service in this process on a free port. */
export async function startService(env: Record<string, string>, redisKeyPrefix: string): Promise<RunningService> {
  const parsed = parseEnvConfig(serializationEnvSchema, env);
  if (!parsed.ok) throw new Error(`bad test env: ${JSON.stringify(parsed.issues)}`);
  const service = buildSerializationService(parsed.config, { handleSignals: false, redisKeyPrefix, logDestination: { write: () => true } });
  const { url } = await service.start({ port: 0 });
  return { url, pool: service.pool, stop: () => service.stop('test over') };
}
