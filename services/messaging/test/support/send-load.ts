import { messageBody } from './http-json.ts';

export interface SendLoadOptions {
  baseUrl: string;
  /** Concurrent senders; each owns one conversation and sends in order. */
  workers: number;
  label: string;
  /** Attempts per message before it counts as failed (a client retries with the same clientMessageId). */
  attempts?: number;
}

export interface SendLoadResult {
  /** clientMessageId → the messageId the service answered. */
  accepted: Map<string, string>;
  /** conversation → its messageIds in send order. */
  order: Map<string, string[]>;
  requests: number;
  /** Attempts that failed and were retried (network errors, 5xx). */
  retried: number;
  /** Deliberate resends of an accepted message: each must name the same messageId. */
  replays: number;
  failures: { key: string; error: string }[];
  durationMs: number;
}

/**
 * Idempotent clients: each worker sends its conversation's messages one after another, retries a
 * failed attempt with the same clientMessageId (as a real client would), and every tenth message
 * sends the previous one again to check the answer names the same message.
 */
export async function runSendLoad(options: SendLoadOptions, signal: AbortSignal): Promise<SendLoadResult> {
  const result: SendLoadResult = {
    accepted: new Map(),
    order: new Map(),
    requests: 0,
    retried: 0,
    replays: 0,
    failures: [],
    durationMs: 0,
  };
  const attempts = options.attempts ?? 5;
  const startedAt = Date.now();

  const send = async (body: ReturnType<typeof messageBody>): Promise<{ messageId: string } | { error: string }> => {
    let last = 'never sent';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      result.requests++;
      try {
        const response = await fetch(`${options.baseUrl}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status === 200 || response.status === 201) return { messageId: JSON.parse(text).messageId };
        last = `HTTP ${response.status}: ${text.slice(0, 200)}`;
        if (response.status < 500) return { error: last };
      } catch (error) {
        last = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      result.retried++;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
    return { error: last };
  };

  await Promise.all(
    Array.from({ length: options.workers }, async (_, w) => {
      const conversation = `${options.label}-w${w}`;
      const ids: string[] = [];
      result.order.set(conversation, ids);
      for (let i = 0; !signal.aborted; i++) {
        const key = `${conversation}-${i}`;
        const body = messageBody({ conversationId: conversation, senderId: `sender-${w}`, clientMessageId: key, content: `message ${i}` });
        const answer = await send(body);
        if ('error' in answer) {
          result.failures.push({ key, error: answer.error });
          continue;
        }
        result.accepted.set(key, answer.messageId);
        ids.push(answer.messageId);
        if (i % 10 === 9) {
          result.replays++;
          const again = await send(body);
          if ('error' in again) result.failures.push({ key: `${key} (replay)`, error: again.error });
          else if (again.messageId !== answer.messageId)
            result.failures.push({ key: `${key} (replay)`, error: `replay named ${again.messageId}, not ${answer.messageId}` });
        }
      }
    }),
  );
  result.durationMs = Date.now() - startedAt;
  return result;
}
