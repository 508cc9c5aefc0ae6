import type { ComplianceContext } from '../compliance-context.ts';
import { nextRetryDelayMs } from './retry-schedule.ts';
import { openSecret } from './secret-box.ts';
import { standardWebhookHeaders } from './standard-webhooks.ts';
import { checkWebhookTarget } from './target-guard.ts';

/** Per-attempt request limit (Standard Webhooks suggests 15-30 s). */
export const DELIVERY_TIMEOUT_MS = 15_000;
/** Deliveries claimed per poll. */
export const DELIVERY_BATCH = 10;
/** A claimed delivery is hidden from other instances this long (longer than an attempt). */
const CLAIM_MS = 60_000;

interface Claimed {
  id: string;
  endpoint_id: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
}

type AttemptResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; status: number | null; error: string; retryAfterSec?: number };

/**
 * Sends due deliveries from any instance: claimed with SKIP LOCKED (one sender per delivery),
 * signed per endpoint (Standard Webhooks), retried on the jittered schedule, every attempt in the
 * delivery log. 2xx delivers; 410 disables the endpoint; a spent schedule fails the delivery and
 * disables the endpoint. Calls go through the `webhooks` bulkhead. Returns a stop function.
 */
export function startWebhookDispatcher(ctx: ComplianceContext): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const key = ctx.config.DOCUMENT_ENCRYPTION_KEY;

  const attempt = async (delivery: Claimed, signal: AbortSignal): Promise<AttemptResult> => {
    const target = await checkWebhookTarget(delivery.url, ctx.config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
    if (!target.ok) return { kind: 'failed', status: null, error: `target refused: ${target.detail}` };
    const body = JSON.stringify(delivery.payload);
    const headers = standardWebhookHeaders(openSecret(key, delivery.secret), delivery.id, Math.floor(Date.now() / 1000), body);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'compliance-webhooks/1', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { kind: 'delivered', status: response.status };
      if (response.status === 410) return { kind: 'gone', status: 410 };
      const retryAfter = Number(response.headers.get('retry-after'));
      return {
        kind: 'failed',
        status: response.status,
        error: `HTTP ${response.status}`,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSec: retryAfter } : {}),
      };
    } catch (error) {
      return { kind: 'failed', status: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  };

  const settle = async (delivery: Claimed, result: AttemptResult) => {
    const attempts = delivery.attempts + 1;
    const entry = JSON.stringify([
      {
        at: new Date().toISOString(),
        attempt: attempts,
        outcome: result.kind,
        status: result.status,
        ...(result.kind === 'failed' ? { error: result.error } : {}),
      },
    ]);
    if (result.kind === 'delivered') {
      await ctx.pool.query(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, last_status_code = $3, last_error = NULL, delivered_at = now(), log = log || $4::jsonb WHERE id = $1`,
        [delivery.id, attempts, result.status, entry],
      );
      return;
    }
    const delayMs = result.kind === 'gone' ? null : nextRetryDelayMs(attempts, Math.random, result.retryAfterSec);
    const error = result.kind === 'gone' ? 'HTTP 410: endpoint gone' : result.error;
    if (delayMs === null) {
      await ctx.pool.query(
        `UPDATE webhook_deliveries SET status = 'failed', attempts = $2, last_status_code = $3, last_error = $4, log = log || $5::jsonb WHERE id = $1`,
        [delivery.id, attempts, result.status, error, entry],
      );
      await ctx.pool.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2 WHERE id = $1`, [
        delivery.endpoint_id,
        result.kind === 'gone' ? 'the endpoint answered 410 Gone' : 'every retry failed',
      ]);
      return;
    }
    await ctx.pool.query(
      `UPDATE webhook_deliveries SET attempts = $2, last_status_code = $3, last_error = $4, next_attempt_at = now() + $5 * interval '1 millisecond', log = log || $6::jsonb WHERE id = $1`,
      [delivery.id, attempts, result.status, error, delayMs, entry],
    );
  };

  const poll = async () => {
    const { rows } = await ctx.pool.query<Claimed>(
      `UPDATE webhook_deliveries d SET next_attempt_at = now() + $2 * interval '1 millisecond'
       FROM webhook_endpoints e
       WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         AND e.id = d.endpoint_id
       RETURNING d.id, d.endpoint_id, d.payload, d.attempts, e.url, e.secret`,
      [DELIVERY_BATCH, CLAIM_MS],
    );
    await Promise.all(
      rows.map(async (delivery) => {
        const outcome = await ctx.downstreams.run('webhooks', (signal) => attempt(delivery, signal));
        await settle(delivery, outcome.ok ? outcome.value : { kind: 'failed', status: null, error: `bulkhead ${outcome.reason}` });
      }),
    );
  };

  const loop = async () => {
    while (!stopped) {
      try {
        await poll();
      } catch (error) {
        ctx.service.logger.warn({ err: error }, 'webhook delivery poll failed');
      }
      if (stopped) break;
      await new Promise((resolve) => setTimeout(resolve, ctx.config.WEBHOOK_POLL_INTERVAL_MS).unref());
    }
  };
  running = loop();
  return async () => {
    stopped = true;
    await running;
  };
}
