import { parseEnvConfig } from '@cutover/service-kit';
import { type MessagingConfig, messagingEnvSchema } from '../../src/messaging-config.ts';
import { TEST_REDIS_URL } from './redis-prefix.ts';

/**
 * The environment of a test's service processes: its database, its Redis prefix, and timings
 * short enough for tests (leases, reclaim, sampling). `overrides` win.
 */
export function messagingEnv(databaseUrl: string, prefix: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    STREAM_KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    PORT: '0',
    SHUTDOWN_DELAY_MS: '0',
    SHUTDOWN_GRACE_PERIOD_MS: '10000',
    STREAM_POLL_INTERVAL_MS: '200',
    STREAM_LEASE_MS: '1500',
    STREAM_LAG_SAMPLE_INTERVAL_MS: '200',
    STREAM_RECLAIM_INTERVAL_MS: '500',
    STREAM_TRIM_INTERVAL_MS: '1000',
    STREAM_HANDLER_TIMEOUT_MS: '5000',
    STREAM_CLAIM_MIN_IDLE_MS: '6000',
    ...overrides,
  };
}

/** The same environment, parsed as the processes parse it. */
export function messagingConfig(env: Record<string, string>): MessagingConfig {
  const result = parseEnvConfig(messagingEnvSchema, env);
  if (!result.ok) throw new Error(`bad test env: ${JSON.stringify(result.issues)}`);
  return result.config;
}
