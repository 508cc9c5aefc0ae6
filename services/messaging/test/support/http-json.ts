import { type JsonResponse, requestJson } from '@cutover/service-kit/testing';

export type { JsonResponse };

/** A JSON request; the body is parsed when the response has one. */
export const httpJson = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> =>
  requestJson(url, { method, body, headers, timeoutMs: 15_000 });

/** A message body as in the deployment guide, with fields to override. */
export function messageBody(overrides: Record<string, unknown> = {}) {
  return {
    conversationId: 'test_conv_001',
    senderId: 'user_001',
    content: 'Hello, Phase 3!',
    contentType: 'text',
    clientMessageId: 'client_msg_001',
    recipientIds: ['user_002'],
    ...overrides,
  };
}
