import { type JsonResponse, requestJson } from '@cutover/service-kit/testing';

export type { JsonResponse };

/** A JSON request; the body is parsed when the response has one. */
export const httpJson = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> =>
  requestJson(url, { method, body, headers, timeoutMs: 15_000 });

/** An authorized JSON request. */
export const authed = (token: string) => (method: string, url: string, body?: unknown) =>
  httpJson(method, url, body, { authorization: `Bearer ${token}` });
