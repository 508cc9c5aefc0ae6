/** Document kinds a venue uploads, and the formats accepted for them. */
export const DOCUMENT_KINDS = ['w9', 'business_license'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** Accepted content types, each with the bytes every such file starts with. */
export const DOCUMENT_SIGNATURES: Readonly<Record<string, Buffer>> = {
  'application/pdf': Buffer.from('%PDF-'),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
};
export const DOCUMENT_CONTENT_TYPES = Object.keys(DOCUMENT_SIGNATURES);

/** A W-9 is a PDF form; a licence may be a scan. */
export const ALLOWED_TYPES_BY_KIND: Readonly<Record<DocumentKind, readonly string[]>> = {
  w9: ['application/pdf'],
  business_license: DOCUMENT_CONTENT_TYPES,
};

/** The bare media type of a Content-Type header (`application/pdf; x=y` → `application/pdf`). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}
