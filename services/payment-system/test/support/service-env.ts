import { writeFileSync } from 'node:fs';
import { generateSigningKey } from '@cutover/service-kit';
import type { JWK } from 'jose';
import { TEST_REDIS_URL } from './redis-prefix.ts';

export const TEST_ISSUER = 'https://auth.payment-system.test';
export const TEST_AUDIENCE = 'payment-system-payments';

/** A fresh EdDSA signing key set, and the same written to a file as AUTH_SIGNING_KEYS_FILE expects. */
export async function signingKeysFile(path: string): Promise<JWK[]> {
  const keys = [await generateSigningKey('EdDSA')];
  writeFileSync(path, JSON.stringify({ keys }), { mode: 0o600 });
  return keys;
}

/** Env of an auth instance in tests: quiet logs, short shutdown delay, a per-test throttle prefix. */
export function authEnv(options: { databaseUrl: string; keysFile: string; throttlePrefix: string; extra?: Record<string, string> }) {
  return {
    AUTH_DATABASE_URL: options.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    AUTH_SIGNING_KEYS_FILE: options.keysFile,
    THROTTLE_KEY_PREFIX: options.throttlePrefix,
    LOG_LEVEL: 'warn',
    SHUTDOWN_DELAY_MS: '0',
    ...options.extra,
  };
}

export function paymentsEnv(options: { databaseUrl: string; jwksUrl: string; extra?: Record<string, string> }) {
  return {
    PAYMENTS_DATABASE_URL: options.databaseUrl,
    AUTH_JWKS_URL: options.jwksUrl,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    LOG_LEVEL: 'warn',
    SHUTDOWN_DELAY_MS: '0',
    ...options.extra,
  };
}
