import { type JsonResponse, type RequestJsonOptions, requestJson } from '@cutover/service-kit/testing';

export type { JsonResponse };

/** A JSON request with an optional bearer token; the body is parsed when it is JSON. */
export const api = (url: string, options: RequestJsonOptions = {}): Promise<JsonResponse> => requestJson(url, options);

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
