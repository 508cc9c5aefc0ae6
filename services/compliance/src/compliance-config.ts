import { envBool, envInt, envUrl, SERVICE_ENV_SHAPE } from '@cutover/service-kit';
import { z } from 'zod';

/** The guide's port: the service listens here when cutover does not give it one. */
export const COMPLIANCE_PORT = 3008;
/** Largest W-9 or business licence upload. */
export const DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;
/** Jaro-Winkler score at or above which a sanctions entry is a possible match. */
export const DEFAULT_SANCTIONS_THRESHOLD = 0.9;
/** Form 1099-K: reported when gross payments exceed $20,000 AND transactions exceed 200 (the federal rule). */
export const DEFAULT_1099K_MIN_GROSS_CENTS = 2_000_000;
export const DEFAULT_1099K_MIN_TRANSACTIONS = 200;
/** A risk score at or above this opens a review. */
export const DEFAULT_RISK_REVIEW_SCORE = 70;

/** A 32-byte key given as 64 hex digits or base64 (the AES-256-GCM key of the documents). */
const aes256Key = z.string().transform((value, ctx) => {
  const trimmed = value.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32)' });
    return z.NEVER;
  }
  return bytes;
});

/** A feature flag of the guide: `true`/`false`. */
const flag = (defaultValue: boolean) => envBool({ default: defaultValue });

export const complianceEnvSchema = z.object({
  ...SERVICE_ENV_SHAPE,
  PORT: envInt({ min: 0, max: 65_535, default: COMPLIANCE_PORT }),
  DATABASE_URL: envUrl(['postgres:', 'postgresql:']),
  PG_POOL_MAX: envInt({ min: 1, max: 200, default: 10 }),
  REDIS_URL: envUrl(['redis:', 'rediss:']),
  /** Prepended to every Redis key; tests use one per test. */
  REDIS_KEY_PREFIX: z.string().default('compliance:'),
  /** HS256 key of the platform's access tokens (the guide's JWT_SECRET). */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits for HS256)'),
  JWT_ISSUER: z.string().min(1).default('tickettoken'),
  JWT_AUDIENCE: z.string().min(1).default('compliance-service'),
  /** Verifies the platform's own events (`POST /webhooks/platform`, Standard Webhooks, `whsec_<base64>`); outgoing endpoints have their own. */
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** Stripe's endpoint secret (`whsec_...`) for inbound Stripe events. */
  STRIPE_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** Seconds a Stripe-Signature timestamp may differ from now (Stripe's libraries: 300). */
  STRIPE_WEBHOOK_TOLERANCE_SEC: envInt({ min: 1, max: 3600, default: 300 }),
  DOCUMENT_ENCRYPTION_KEY: aes256Key,
  /** Names the key in each stored document, so a rotated key can still open older files. */
  DOCUMENT_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be 1-32 letters, digits, . _ -')
    .default('k1'),
  DOCUMENT_STORAGE_DIR: z.string().min(1).default('var/documents'),
  DOCUMENT_MAX_BYTES: envInt({ min: 1024, max: 100 * 1024 * 1024, default: DEFAULT_DOCUMENT_MAX_BYTES }),
  /** The operator's OFAC files: SDN.CSV and ALT.CSV (official formats). Empty: no list loaded, screening fails closed. */
  SANCTIONS_SDN_FILE: z.string().optional(),
  SANCTIONS_ALT_FILE: z.string().optional(),
  SANCTIONS_MATCH_THRESHOLD: z.coerce.number().min(0.5).max(1).default(DEFAULT_SANCTIONS_THRESHOLD),
  TAX_1099K_MIN_GROSS_CENTS: envInt({ min: 0, default: DEFAULT_1099K_MIN_GROSS_CENTS }),
  TAX_1099K_MIN_TRANSACTIONS: envInt({ min: 0, default: DEFAULT_1099K_MIN_TRANSACTIONS }),
  RISK_REVIEW_SCORE: envInt({ min: 1, max: 100, default: DEFAULT_RISK_REVIEW_SCORE }),
  /** Allow webhook endpoints on loopback/private addresses (tests, one-host setups); default false. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: flag(false),
  WEBHOOK_POLL_INTERVAL_MS: envInt({ min: 10, max: 60_000, default: 1_000 }),
  // The guide's feature flags, as real switches.
  DETAILED_HEALTH_CHECKS: flag(true),
  METRICS_ENDPOINT: flag(true),
  LOAD_SHEDDING: flag(false),
  BULKHEAD_PATTERN: flag(false),
  SHED_MAX_EVENT_LOOP_DELAY_MS: envInt({ min: 1, default: 200 }),
  SHED_MAX_HEAP_USED_BYTES: envInt({ min: 1, default: 384 * 1024 * 1024 }),
  /** Test hook: added to every API answer (a deliberately slow release in the e2e tests); default 0. */
  DEBUG_EXTRA_LATENCY_MS: envInt({ min: 0, max: 10_000, default: 0 }),
  /** Set by the cutover agent: the release name (metrics label, health `version` suffix). */
  CUTOVER_RELEASE: z.string().optional(),
});

export type ComplianceConfig = z.output<typeof complianceEnvSchema>;
