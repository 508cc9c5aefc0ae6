import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { sendProblem } from '@cutover/service-kit';
import { canAccessVenue, requireRole } from '../auth/require-role.ts';
import type { ComplianceContext } from '../compliance-context.ts';
import { guarded } from '../http/guarded.ts';
import { PROBLEM_TYPES } from '../http/parse-body.ts';
import { loadVenue } from '../venues/venue-routes.ts';
import { DocumentIntegrityError } from './document-cipher.ts';
import { createDocumentStore } from './document-store.ts';
import { ALLOWED_TYPES_BY_KIND, DOCUMENT_CONTENT_TYPES, DOCUMENT_KINDS, type DocumentKind, mediaType } from './document-types.ts';
import { UploadRefusedError } from './upload-guard.ts';

/**
 * Upload: `PUT /venues/:id/documents/:kind` with the file as the body (`application/pdf`,
 * `image/png` or `image/jpeg`). The body is streamed, never buffered or logged; a declared
 * length over the limit is refused before a byte is read, an undeclared one as soon as it passes.
 */
export function registerDocumentRoutes(ctx: ComplianceContext): void {
  const { app } = ctx.service;
  const store = createDocumentStore({
    pool: ctx.pool,
    directory: resolve(ctx.config.DOCUMENT_STORAGE_DIR),
    key: ctx.config.DOCUMENT_ENCRYPTION_KEY,
    keyId: ctx.config.DOCUMENT_KEY_ID,
    maxBytes: ctx.config.DOCUMENT_MAX_BYTES,
  });
  // The raw stream reaches the handler: Fastify neither buffers nor parses document bodies.
  app.addContentTypeParser(DOCUMENT_CONTENT_TYPES, (_request, payload, done) => done(null, payload));
  const anyone = requireRole(ctx.verifier, ['venue', 'reviewer', 'admin']);

  const refuse = (reply: Parameters<typeof sendProblem>[0], status: number, detail: string) =>
    sendProblem(reply.header('connection', 'close'), status, detail, { type: PROBLEM_TYPES.documentRefused });

  app.put(
    '/venues/:id/documents/:kind',
    { onRequest: anyone, logLevel: 'warn' },
    guarded(ctx.downstreams, 'documents', async (request, reply) => {
      const { kind } = request.params as { kind: string };
      if (!(DOCUMENT_KINDS as readonly string[]).includes(kind))
        return refuse(reply, 404, `no document kind ${kind}: use ${DOCUMENT_KINDS.join(' or ')}`);
      const type = mediaType(request.headers['content-type']);
      const allowed = ALLOWED_TYPES_BY_KIND[kind as DocumentKind];
      if (!allowed.includes(type)) return refuse(reply, 415, `a ${kind} must be ${allowed.join(', ')} (got ${type || 'no content type'})`);
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > ctx.config.DOCUMENT_MAX_BYTES) {
        return refuse(reply, 413, `the document is larger than ${ctx.config.DOCUMENT_MAX_BYTES} bytes`);
      }
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply.header('connection', 'close');
      if (venue.state === 'verified' || venue.state === 'rejected') {
        return refuse(reply, 409, `the venue is ${venue.state}: documents can no longer change`);
      }
      try {
        const document = await store.save({
          venueId: venue.id,
          kind: kind as DocumentKind,
          contentType: type,
          uploadedBy: request.principal!.subject,
          body: request.body as Readable,
        });
        const updated = await ctx.venues.followDocuments(venue.id);
        return reply.code(201).send({ document, venue: updated });
      } catch (error) {
        if (error instanceof UploadRefusedError) {
          request.raw.unpipe();
          return refuse(reply, error.statusCode, error.message);
        }
        throw error;
      }
    }),
  );

  app.get(
    '/venues/:id/documents',
    { onRequest: anyone },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply;
      return { documents: await store.forVenue(venue.id) };
    }),
  );

  app.get('/documents/:id/content', { onRequest: anyone, logLevel: 'warn' }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const document = /^[0-9a-f-]{36}$/i.test(id) ? await store.get(id) : null;
    const venue = document ? await ctx.venues.get(document.venueId) : null;
    if (!document || !venue || !canAccessVenue(request.principal!, venue.ownerSubject)) return sendProblem(reply, 404, `no document ${id}`);
    const stream = store.open(document);
    stream.on('error', (error) => {
      // Never the content, never the key: which document, and why it could not be opened.
      request.log.error(
        { documentId: id, error: error instanceof DocumentIntegrityError ? error.message : 'read failed' },
        'document could not be decrypted',
      );
    });
    return reply
      .header('content-type', document.contentType)
      .header('content-length', String(document.sizeBytes))
      .header('content-disposition', `attachment; filename="${document.kind}-${document.id}"`)
      .header('x-content-sha256', document.sha256)
      .header('cache-control', 'no-store')
      .send(stream);
  });
}
