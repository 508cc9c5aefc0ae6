import { randomUUID } from 'node:crypto';
import { MAX_WEBHOOK_RETRY_DELAY_MS } from '../../config/defaults.ts';
import type { WebhookConfig } from '../../config/schema-notify.ts';
import { buildWebhookBody, buildWebhookRequest } from './build-webhook-request.ts';
import type { Notification } from './notification.ts';
import type { DeliveryRecord, NotificationStore } from './notification-store.ts';
import { readWebhookSecret } from './read-webhook-secret.ts';

export interface NotifierOptions {
  service: string;
  webhooks: readonly WebhookConfig[];
  store: NotificationStore;
  /** Directory of cutover.yml: `secretFile` resolves from here. */
  root: string;
  /** Where `secretEnv` is read (default: this process's env). */
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The wait before attempt `attempt + 1`: the base doubled per attempt made, capped at a minute. */
export function retryDelayMs(baseMs: number, attemptsMade: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), MAX_WEBHOOK_RETRY_DELAY_MS);
}

/** A status worth trying again: the receiver is overloaded or restarting, not refusing the request. */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Sends notifications to the webhooks of `notify:`. `notify()` only queues (it never waits and never
 * throws), so a deployment or task never waits on a receiver; each delivery is a row in the store,
 * retried with exponential backoff and recorded attempt by attempt. A delivery still pending when
 * the process exits is sent by the next notifier of the service that calls `resume()`.
 */
export class Notifier {
  readonly #options: NotifierOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /** Queues one delivery per webhook subscribed to the event; returns their ids. */
  notify(notification: Notification): string[] {
    const ids: string[] = [];
    try {
      const now = this.#now();
      this.#options.webhooks.forEach((webhook, index) => {
        if (webhook.events && !webhook.events.includes(notification.event)) return;
        const id = randomUUID();
        this.#options.store.enqueue({
          id,
          service: this.#options.service,
          event: notification.event,
          target: targetName(webhook),
          webhookIndex: index,
          body: buildWebhookBody(id, notification),
          maxAttempts: webhook.retries + 1,
          createdAt: now,
        });
        ids.push(id);
      });
      this.#pump();
    } catch {
      // A notification must never fail what it reports on (a full disk stops the record, not the deploy).
    }
    return ids;
  }

  /** Sends what an earlier process left pending, at once (its backoff belonged to that process's attempts). */
  resume(): void {
    this.#pump(true);
  }

  /** Resolves once no delivery is pending (delivered or failed for good), or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#inFlight.size === 0 && this.#options.store.nextDueAt(this.#options.service) === null) return true;
      await Promise.race([...this.#inFlight.values(), new Promise((resolve) => setTimeout(resolve, 20))]);
    }
    return false;
  }

  /** Stops sending; pending deliveries stay in the store for the next notifier. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #pump(all = false): void {
    if (this.#stopped) return;
    try {
      const { store, service } = this.#options;
      for (const delivery of store.due(service, all ? Number.MAX_SAFE_INTEGER : this.#now())) {
        if (this.#inFlight.has(delivery.id)) continue;
        const attempt = this.#attempt(delivery)
          .catch(() => {}) // a store closed under an attempt: the row stays pending for the next notifier
          .finally(() => {
            this.#inFlight.delete(delivery.id);
            this.#pump();
          });
        this.#inFlight.set(delivery.id, attempt);
      }
      this.#arm();
    } catch {
      // the store is closed or unreadable: deliveries wait for the next notifier
    }
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const next = this.#options.store.nextDueAt(this.#options.service);
    if (next === null || this.#stopped) return;
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, next - this.#now()));
    // A CLI that has finished its work does not stay up for a retry: the row stays pending for the next notifier.
    this.#timer.unref();
  }

  async #attempt(delivery: DeliveryRecord): Promise<void> {
    const { store, webhooks } = this.#options;
    const webhook = webhooks[delivery.webhookIndex];
    const end = (result: { status: number | null; error: string | null; delivered: boolean; final?: boolean }) => {
      const attemptsMade = delivery.attempts + 1;
      const last = result.delivered || result.final || attemptsMade >= delivery.maxAttempts;
      store.recordAttempt(delivery.id, {
        ...result,
        nextAttemptAt: last ? null : this.#now() + retryDelayMs(webhook?.retryDelayMs ?? 1000, attemptsMade),
        atMs: this.#now(),
      });
    };
    if (!webhook || targetName(webhook) !== delivery.target) {
      end({ status: null, error: 'the webhook is no longer in cutover.yml', delivered: false, final: true });
      return;
    }
    const secret = await readWebhookSecret(webhook, { root: this.#options.root, env: this.#options.env ?? process.env });
    if ('error' in secret) {
      end({ status: null, error: secret.error, delivered: false });
      return;
    }
    const request = buildWebhookRequest({
      url: webhook.url,
      deliveryId: delivery.id,
      event: delivery.event,
      body: delivery.body,
      secret: secret.secret,
      nowMs: this.#now(),
    });
    try {
      const response = await (this.#options.fetch ?? fetch)(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(webhook.timeoutMs),
        redirect: 'manual',
      });
      await response.body?.cancel().catch(() => {});
      const delivered = response.status >= 200 && response.status < 300;
      end({
        status: response.status,
        error: delivered ? null : `the receiver answered ${response.status}`,
        delivered,
        final: !delivered && !retryable(response.status),
      });
    } catch (error) {
      end({ status: null, error: describeFetchError(error, webhook.timeoutMs), delivered: false });
    }
  }
}

/** How a webhook appears in records: its name, or its URL's host (the path may carry a token). */
export function targetName(webhook: Pick<WebhookConfig, 'name' | 'url'>): string {
  return webhook.name ?? new URL(webhook.url).host;
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return err.cause?.code ? `could not connect (${err.cause.code})` : `could not send (${err.message})`;
}
