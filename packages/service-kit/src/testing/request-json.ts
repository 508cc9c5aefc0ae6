/** A response of a test request: the body parsed when it is JSON, else its text (undefined when empty). */
export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  /** The body as it came. */
  text: string;
}

export interface RequestJsonOptions {
  /** GET without a body, POST with one, unless given. */
  method?: string;
  /** Sent as JSON (content-type application/json). */
  body?: unknown;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  /** Default 30 s: the machine may be busy. */
  timeoutMs?: number;
}

/** An HTTP request as a test makes it: JSON in, JSON (or text) out, never hanging past its timeout. */
export async function requestJson(url: string, options: RequestJsonOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: unknown;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body, text };
}
