export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  text: string;
}

/** A JSON request with an optional bearer token; the body is parsed when it is JSON. */
export async function api(
  url: string,
  options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body, text };
}

/** A venue submission as the API takes it. */
export function venueBody(overrides: Record<string, unknown> = {}) {
  return {
    legalName: 'Riverside Music Hall LLC',
    ein: '12-3456789',
    address: { line1: '1 River Road', city: 'Albany', state: 'NY', postalCode: '12207', country: 'US' },
    contactName: 'Dana Reviewer',
    contactEmail: 'dana@riverside.example',
    ...overrides,
  };
}

export const PDF_BYTES = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.from('SECRET-W9-CONTENT '.repeat(10_000)),
  Buffer.from('\n%%EOF\n'),
]);
export const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 7)]);
