import { requireAuth } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { queryAuditEvents, verifyAuditChain } from '../audit/audit-query.ts';
import { ADMIN_SCOPE, READ_SCOPE, WRITE_SCOPE } from '../auth/token-service.ts';
import { UNIQUENESS_SCOPES, type UniquenessScope } from '../config/serialization-config.ts';
import type { UniquenessStore } from '../uniqueness/uniqueness-store.ts';
import type { RouteDeps } from './route-deps.ts';
import { API_PREFIX, actorOf, sendInvalid, sendRefusal } from './route-helpers.ts';

const text = z.string().trim().min(1).max(100);
const checkQuery = z.strictObject({
  serialNumber: z.string().min(1).max(100),
  partId: text,
  scope: z.enum(UNIQUENESS_SCOPES).optional(),
  vendorName: text.optional(),
});
const limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.int().min(1).max(500));
const auditQuery = z.strictObject({
  partId: text.optional(),
  serialNumber: text.optional(),
  eventType: text.optional(),
  limit: limit.optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be nextCursor of a previous page')
    .optional(),
});
const resolveBody = z.strictObject({
  resolution: z.enum(['rejected', 'relabelled']),
  serialNumber: z.string().min(1).max(100).optional(),
  reason: z.string().trim().min(1).max(500),
});

/**
 *   GET  /uniqueness/check?serialNumber=&partId=&scope=&vendorName=   taken or free in scope
 *   GET  /uniqueness/checks?status=&partId=                            recorded conflicts
 *   POST /uniqueness/checks/:id/resolve {resolution, serialNumber?, reason}
 *   GET  /audit/events?partId=&serialNumber=&eventType=&limit=&cursor=  newest first, paged
 *   GET  /audit/verify                                                  hash chain check (admin)
 */
export function registerRecordRoutes(
  app: FastifyInstance,
  deps: RouteDeps & { pool: pg.Pool; uniqueness: UniquenessStore; defaultScope: UniquenessScope },
) {
  const read = requireAuth(deps.verifier, { scopes: [READ_SCOPE] });
  const write = requireAuth(deps.verifier, { scopes: [WRITE_SCOPE] });
  const admin = requireAuth(deps.verifier, { scopes: [ADMIN_SCOPE] });

  app.get(`${API_PREFIX}/uniqueness/check`, { onRequest: read }, async (request, reply) => {
    const query = checkQuery.safeParse(request.query);
    if (!query.success) return sendInvalid(reply, query.error, 'the query string is invalid');
    const result = await deps.uniqueness.check({
      ...query.data,
      vendorName: query.data.vendorName ?? null,
      scope: query.data.scope ?? deps.defaultScope,
    });
    if (!result.ok) return sendRefusal(reply, result);
    return result.answer;
  });

  app.get(`${API_PREFIX}/uniqueness/checks`, { onRequest: read }, async (request, reply) => {
    const query = z
      .strictObject({ status: z.enum(['conflict', 'rejected', 'relabelled']).optional(), partId: text.optional() })
      .safeParse(request.query);
    if (!query.success) return sendInvalid(reply, query.error, 'the query string is invalid');
    return { checks: await deps.uniqueness.listChecks({ ...query.data, limit: 100 }) };
  });

  app.post(`${API_PREFIX}/uniqueness/checks/:id/resolve`, { onRequest: write }, async (request, reply) => {
    const id = z.uuid().safeParse((request.params as { id: string }).id);
    if (!id.success) return sendInvalid(reply, id.error, 'the id must be a UUID');
    const body = resolveBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const result = await deps.uniqueness.resolve(id.data, body.data, actorOf(request));
    if (!result.ok) return sendRefusal(reply, result);
    return result.check;
  });

  app.get(`${API_PREFIX}/audit/events`, { onRequest: read }, async (request, reply) => {
    const query = auditQuery.safeParse(request.query);
    if (!query.success) return sendInvalid(reply, query.error, 'the query string is invalid');
    return queryAuditEvents(deps.pool, {
      ...query.data,
      limit: query.data.limit ?? 50,
      ...(query.data.cursor ? { beforeSequence: Number(query.data.cursor) } : {}),
    });
  });

  app.get(`${API_PREFIX}/audit/verify`, { onRequest: admin }, async () => verifyAuditChain(deps.pool));
}
