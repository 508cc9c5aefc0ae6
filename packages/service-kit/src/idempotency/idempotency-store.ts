import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

/** How long a key is remembered after first use (Stripe prunes after 24 h; so do most APIs). */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * How long an in-flight key stays locked. Past it the request is presumed dead (its instance
 * crashed) and a retry with the same payload takes the key over instead of getting 409 forever.
 */
export const DEFAULT_IDEMPOTENCY_LOCK_TIMEOUT_MS = 60_000;
const PURGE_BATCH_ROWS = 10_000;
const MAX_BEGIN_ATTEMPTS = 5;

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface BeginRequest {
  /** Who is calling (the authenticated principal): keys are unique per scope. */
  scope: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
}

/**
 * - `acquired`: this request owns the key and must finish with `complete` or `release`.
 * - `replay`: the key finished earlier with the same payload; answer with `response`.
 * - `in_flight`: the same request is being processed right now (answer 409).
 * - `mismatch`: the key was used with a different payload (answer 422).
 */
export type BeginResult =
  | { outcome: 'acquired'; token: string }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'in_flight' }
  | { outcome: 'mismatch' };

export interface IdempotencyStoreOptions {
  pool: Pool;
  /** Key lifetime after first use; default `DEFAULT_IDEMPOTENCY_RETENTION_MS` (24 h). */
  retentionMs?: number;
  /** Lock lifetime of an unfinished request; default `DEFAULT_IDEMPOTENCY_LOCK_TIMEOUT_MS` (60 s). */
  lockTimeoutMs?: number;
}

export interface IdempotencyStore {
  readonly retentionMs: number;
  begin(request: BeginRequest): Promise<BeginResult>;
  /** Store the response of an acquired key; false when the lock was lost (taken over after timeout). */
  complete(scope: string, key: string, token: string, response: StoredResponse): Promise<boolean>;
  /** Forget an acquired key (the response is not to be replayed, e.g. a 503): a retry runs anew. */
  release(scope: string, key: string, token: string): Promise<boolean>;
  /** Delete expired keys; returns how many. Run it periodically (lookups ignore expired keys anyway). */
  purgeExpired(): Promise<number>;
}

// One statement decides ownership, so two instances racing on the same key are serialized by
// the primary key: the loser's ON CONFLICT sees the winner's row. An expired row, or a stale lock
// with the same payload, is taken over in the same statement.
const BEGIN_SQL = `
INSERT INTO idempotency_keys AS k
  (scope, idempotency_key, fingerprint, request_method, request_path, state, lock_token, locked_at, expires_at)
VALUES ($1, $2, $3, $4, $5, 'in_flight', $6, now(), now() + $7::double precision * interval '1 millisecond')
ON CONFLICT (scope, idempotency_key) DO UPDATE SET
  fingerprint = EXCLUDED.fingerprint, request_method = EXCLUDED.request_method, request_path = EXCLUDED.request_path,
  state = 'in_flight', lock_token = EXCLUDED.lock_token, locked_at = now(), response_status = NULL,
  response_headers = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
WHERE k.expires_at <= now()
   OR (k.state = 'in_flight' AND k.fingerprint = EXCLUDED.fingerprint
       AND k.locked_at <= now() - $8::double precision * interval '1 millisecond')
RETURNING lock_token`;

const LOOKUP_SQL = `
SELECT fingerprint, state, response_status, response_headers, response_body
FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2 AND expires_at > now()`;

interface KeyRow {
  fingerprint: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
}

export function createIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyStore {
  const { pool } = options;
  const retentionMs = options.retentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_IDEMPOTENCY_LOCK_TIMEOUT_MS;
  return {
    retentionMs,
    async begin(request) {
      for (let attempt = 0; attempt < MAX_BEGIN_ATTEMPTS; attempt++) {
        const token = randomUUID();
        const inserted = await pool.query(BEGIN_SQL, [
          request.scope,
          request.key,
          request.fingerprint,
          request.method,
          request.path,
          token,
          retentionMs,
          lockTimeoutMs,
        ]);
        if (inserted.rowCount === 1) return { outcome: 'acquired', token };
        const found = await pool.query<KeyRow>(LOOKUP_SQL, [request.scope, request.key]);
        const row = found.rows[0];
        // Gone between the two statements (released, purged or just expired): try again.
        if (!row) continue;
        if (row.fingerprint !== request.fingerprint) return { outcome: 'mismatch' };
        if (row.state === 'in_flight') return { outcome: 'in_flight' };
        return {
          outcome: 'replay',
          response: {
            statusCode: row.response_status ?? 200,
            headers: row.response_headers ?? {},
            body: row.response_body ?? Buffer.alloc(0),
          },
        };
      }
      return { outcome: 'in_flight' };
    },
    async complete(scope, key, token, response) {
      const result = await pool.query(
        `UPDATE idempotency_keys
         SET state = 'completed', response_status = $4, response_headers = $5, response_body = $6, lock_token = NULL, locked_at = NULL
         WHERE scope = $1 AND idempotency_key = $2 AND lock_token = $3`,
        [scope, key, token, response.statusCode, JSON.stringify(response.headers), response.body],
      );
      return result.rowCount === 1;
    },
    async release(scope, key, token) {
      const result = await pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2 AND lock_token = $3', [
        scope,
        key,
        token,
      ]);
      return result.rowCount === 1;
    },
    async purgeExpired() {
      let total = 0;
      for (;;) {
        const result = await pool.query(
          `DELETE FROM idempotency_keys WHERE ctid IN (
             SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT ${PURGE_BATCH_ROWS})`,
        );
        total += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < PURGE_BATCH_ROWS) return total;
      }
    },
  };
}
