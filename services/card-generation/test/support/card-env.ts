/** A fixed test master key: tests compare PANs across processes, so every process must derive the same keys. */
export const TEST_MASTER_KEY = 'a1'.repeat(32);

/** Environment of a test instance of the service. */
export function cardEnv(databaseUrl: string, redisPrefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.CARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    REDIS_KEY_PREFIX: redisPrefix,
    CARD_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'warn',
    SHUTDOWN_DELAY_MS: '0',
    SHUTDOWN_GRACE_PERIOD_MS: '10000',
    ...extra,
  };
}
