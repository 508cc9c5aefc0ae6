import type { NotificationEventType } from '../../config/schema-notify.ts';

/** One thing worth telling people about: the JSON body a webhook receives (plus its delivery id). */
export interface Notification {
  event: NotificationEventType;
  service: string;
  /** Epoch milliseconds when it happened. */
  at: number;
  /** One line for people (chat messages). */
  text: string;
  deployment?: { id: number; release: string; fromRelease: string | null; kind: string; state?: string; reason?: string | null };
  task?: {
    name: string;
    runId: number;
    state: string;
    exitCode: number | null;
    timedOut: boolean;
    reason: string | null;
    release: string | null;
    outputTail: string;
  };
}
