import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';
import {
  DEFAULT_WEBHOOK_RETRIES,
  DEFAULT_WEBHOOK_RETRY_DELAY_MS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  MAX_WEBHOOK_RETRY_DELAY_MS,
} from './defaults.ts';

export { DEFAULT_WEBHOOK_RETRIES, DEFAULT_WEBHOOK_RETRY_DELAY_MS, DEFAULT_WEBHOOK_TIMEOUT_MS, MAX_WEBHOOK_RETRY_DELAY_MS };

/** Events a webhook can subscribe to. */
export const NOTIFICATION_EVENTS = [
  'deployment:started',
  'deployment:paused',
  'deployment:promoted',
  'deployment:aborted',
  'deployment:rolled-back',
  'deployment:succeeded',
  'deployment:failed',
  'task:failed',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

const webhook = z
  .strictObject({
    /** Shown in records instead of the URL (whose path may carry a token). Default: the URL's host. */
    name: z.string().min(1).max(64).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    /** Default: every event. */
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).optional(),
    /** The HMAC-SHA256 key comes from this environment variable of the process that sends... */
    secretEnv: envName.optional(),
    /** ...or from this file (relative to cutover.yml); never from cutover.yml itself. */
    secretFile: z.string().min(1).optional(),
    timeoutMs: durationMs().default(DEFAULT_WEBHOOK_TIMEOUT_MS),
    retries: z.number().int().min(0).max(20).default(DEFAULT_WEBHOOK_RETRIES),
    retryDelayMs: durationMs().default(DEFAULT_WEBHOOK_RETRY_DELAY_MS),
  })
  .refine((value) => !(value.secretEnv && value.secretFile), { message: 'set secretEnv or secretFile, not both', path: ['secretFile'] });

const notify = z.strictObject({
  webhooks: z.array(webhook).default([]),
});

/** The `notify:` section of cutover.yml, spread into the top-level schema. */
export const notifySectionSchema = {
  notify: notify.default(() => notify.parse({})),
};

export type WebhookConfig = z.output<typeof webhook>;
export type NotifyConfig = z.output<typeof notify>;
