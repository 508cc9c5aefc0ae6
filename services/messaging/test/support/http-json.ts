export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
}

/** A JSON request; the body is parsed when the response has one. */
export async function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

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
