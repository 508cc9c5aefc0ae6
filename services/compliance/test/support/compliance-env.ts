import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { OFAC_FIXTURES } from './paths.ts';

export const TEST_REDIS_URL = process.env.COMPLIANCE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
export const TEST_STRIPE_SECRET = 'whsec_test_stripe_0123456789abcdef';
export const TEST_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** A recognisable key, so a test can look for it in logs and files. */
export const TEST_DOCUMENT_KEY_HEX = 'a1'.repeat(32);

/** The environment of one test service: its database, a Redis prefix, a document directory, the fixture lists. */
export function complianceEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `cmp-test:${randomBytes(4).toString('hex')}:`,
    JWT_SECRET: TEST_JWT_SECRET,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    STRIPE_WEBHOOK_SECRET: TEST_STRIPE_SECRET,
    DOCUMENT_ENCRYPTION_KEY: TEST_DOCUMENT_KEY_HEX,
    DOCUMENT_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'cmp-docs-')),
    SANCTIONS_SDN_FILE: join(OFAC_FIXTURES, 'SDN.CSV'),
    SANCTIONS_ALT_FILE: join(OFAC_FIXTURES, 'ALT.CSV'),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_POLL_INTERVAL_MS: '50',
    SHUTDOWN_DELAY_MS: '0',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** An HS256 access token of the platform with the given roles. */
export function tokenFor(
  subject: string,
  roles: string[],
  options: { secret?: string; audience?: string; expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer('tickettoken')
    .setAudience(options.audience ?? 'compliance-service')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}
