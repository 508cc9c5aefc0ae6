import { requireAuth } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { READ_SCOPE, WRITE_SCOPE } from '../auth/token-service.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { madeOfBody } from '../genealogy/genealogy-reach.ts';
import type { GenealogyLink, GenealogyStore } from '../genealogy/genealogy-store.ts';
import type { Placeholder, PlaceholderStore } from '../placeholders/placeholder-store.ts';
import { TRIGGER_ACTIONS, TRIGGER_EVENT_TYPES, type TriggerStore } from '../triggers/trigger-store.ts';
import { refuse } from './domain-result.ts';
import type { RouteDeps } from './route-deps.ts';
import { API_PREFIX, actorOf, sendInvalid, sendRefusal } from './route-helpers.ts';

const UUID = z.uuid();
const partId = z.string().trim().min(1).max(64);
const code = z.string().trim().min(1).max(64);

const placeholderBody = z.strictObject({ partId, operationCode: code.optional(), workOrder: code.optional() });
const resolveBody = z.union([z.strictObject({ serialId: UUID }), z.strictObject({ patternId: z.string().min(1).max(63) })], {
  error: 'give serialId (an existing serial) or patternId (generate one)',
});
const triggerBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  partId,
  eventType: z.enum(TRIGGER_EVENT_TYPES),
  operationCode: code.nullable().default(null),
  action: z.enum(TRIGGER_ACTIONS),
  patternId: z.string().min(1).max(63).nullable().default(null),
});
const eventBody = z.strictObject({
  eventId: z.string().trim().min(1).max(128),
  eventType: z.enum(TRIGGER_EVENT_TYPES),
  partId,
  operationCode: code.nullable().default(null),
  quantity: z.int().min(1).default(1),
  placeholderId: UUID.nullable().default(null),
  vendorSerialId: UUID.nullable().default(null),
});
const linkBody = z.strictObject({
  parentSerialId: UUID,
  childSerialId: UUID,
  assemblyType: z.enum(['physical', 'logical']).default('physical'),
  assemblyRelationship: z.enum(['permanent', 'transient']).default('permanent'),
  operationCode: code.nullable().default(null),
});

const placeholderJson = (p: Placeholder) => ({
  ...p,
  createdAt: p.createdAt.toISOString(),
  resolvedAt: p.resolvedAt?.toISOString() ?? null,
});
const linkJson = (l: GenealogyLink) => ({ ...l, validFrom: l.validFrom.toISOString(), validTo: l.validTo?.toISOString() ?? null });
const idParam = (params: unknown, name = 'id') => UUID.safeParse((params as Record<string, string>)[name]);

/**
 * Late assignment, assignment triggers and genealogy:
 *   POST /placeholders {partId, operationCode?, workOrder?}      201 TMP-… placeholder
 *   GET  /placeholders/:id
 *   POST /placeholders/:id/resolve {serialId} | {patternId}      exactly once: 409 afterwards
 *   POST /triggers                                                a rule on an operation event
 *   GET  /triggers?partId=       GET /triggers/statistics/:partId
 *   POST /events {eventId, eventType, partId, …}                 runs the matching triggers (idempotent by eventId)
 *   POST /genealogy/links        DELETE /genealogy/links/:id {reason}
 *   GET  /genealogy/:serialId/made-of      GET /genealogy/:serialId/where-used
 */
export function registerLifecycleRoutes(
  app: FastifyInstance,
  deps: RouteDeps & {
    placeholders: PlaceholderStore;
    triggers: TriggerStore;
    genealogy: GenealogyStore;
    defaultScope: UniquenessScope;
    batchSize: number;
    auditBatchSize: number;
  },
) {
  const read = requireAuth(deps.verifier, { scopes: [READ_SCOPE] });
  const write = requireAuth(deps.verifier, { scopes: [WRITE_SCOPE] });

  app.post(`${API_PREFIX}/placeholders`, { onRequest: write }, async (request, reply) => {
    const body = placeholderBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const placeholder = await deps.placeholders.create(
      { partId: body.data.partId, operationCode: body.data.operationCode ?? null, workOrder: body.data.workOrder ?? null },
      actorOf(request),
    );
    return reply.code(201).send(placeholderJson(placeholder));
  });

  app.get(`${API_PREFIX}/placeholders/:id`, { onRequest: read }, async (request, reply) => {
    const id = idParam(request.params);
    if (!id.success) return sendInvalid(reply, id.error, 'the id must be a UUID');
    const placeholder = await deps.placeholders.get(id.data);
    if (!placeholder) return sendRefusal(reply, refuse(404, 'placeholder_not_found', `no placeholder ${id.data}`));
    return placeholderJson(placeholder);
  });

  app.post(`${API_PREFIX}/placeholders/:id/resolve`, { onRequest: write }, async (request, reply) => {
    const id = idParam(request.params);
    if (!id.success) return sendInvalid(reply, id.error, 'the id must be a UUID');
    const body = resolveBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const resolution =
      'serialId' in body.data
        ? { kind: 'serial' as const, serialId: body.data.serialId }
        : { kind: 'generate' as const, patternId: body.data.patternId };
    const result = await deps.placeholders.resolve(id.data, resolution, {
      source: 'manual',
      actor: actorOf(request),
      scope: deps.defaultScope,
      batchSize: deps.batchSize,
      auditBatchSize: deps.auditBatchSize,
    });
    deps.metrics.placeholdersResolved.inc({ source: 'manual', outcome: result.ok ? 'resolved' : result.code });
    if (!result.ok) return sendRefusal(reply, result);
    return placeholderJson(result.placeholder);
  });

  app.post(`${API_PREFIX}/triggers`, { onRequest: write }, async (request, reply) => {
    const body = triggerBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const result = await deps.triggers.create(body.data, actorOf(request));
    if (!result.ok) return sendRefusal(reply, result);
    return reply.code(201).send(result.trigger);
  });

  app.get(`${API_PREFIX}/triggers`, { onRequest: read }, async (request, reply) => {
    const query = z.object({ partId }).safeParse(request.query);
    if (!query.success) return sendInvalid(reply, query.error, 'partId is required');
    return { triggers: await deps.triggers.list(query.data.partId) };
  });

  app.get(`${API_PREFIX}/triggers/statistics/:partId`, { onRequest: read }, async (request, reply) => {
    const part = partId.safeParse((request.params as { partId: string }).partId);
    if (!part.success) return sendInvalid(reply, part.error, 'partId is invalid');
    const triggers = await deps.triggers.statistics(part.data);
    const totals = triggers.reduce(
      (sum, t) => ({
        executions: sum.executions + t.executions,
        serialsAssigned: sum.serialsAssigned + t.serialsAssigned,
        failed: sum.failed + t.failed,
      }),
      { executions: 0, serialsAssigned: 0, failed: 0 },
    );
    return {
      partId: part.data,
      ...totals,
      triggers: triggers.map((t) => ({ ...t, lastExecutedAt: t.lastExecutedAt?.toISOString() ?? null })),
    };
  });

  app.post(`${API_PREFIX}/events`, { onRequest: write }, async (request, reply) => {
    const body = eventBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const executions = await deps.triggers.handleEvent(body.data, actorOf(request));
    for (const execution of executions)
      if (!execution.replayed) deps.metrics.triggerExecutions.inc({ action: body.data.eventType, outcome: execution.outcome });
    const replayed = executions.length > 0 && executions.every((e) => e.replayed);
    return reply.code(replayed ? 200 : 201).send({ eventId: body.data.eventId, replayed, executions });
  });

  app.post(`${API_PREFIX}/genealogy/links`, { onRequest: write }, async (request, reply) => {
    const body = linkBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const result = await deps.genealogy.link(body.data, actorOf(request));
    deps.metrics.genealogyLinks.inc({ outcome: result.ok ? 'linked' : result.code });
    if (!result.ok) return sendRefusal(reply, result);
    return reply.code(201).send({ ...linkJson(result.link), chainDepth: result.chainDepth });
  });

  app.delete(`${API_PREFIX}/genealogy/links/:id`, { onRequest: write }, async (request, reply) => {
    const id = idParam(request.params);
    if (!id.success) return sendInvalid(reply, id.error, 'the id must be a UUID');
    const body = z.strictObject({ reason: z.string().trim().min(1).max(500) }).safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error, 'ending a link needs a reason');
    const result = await deps.genealogy.unlink(id.data, body.data.reason, actorOf(request));
    if (!result.ok) return sendRefusal(reply, result);
    return linkJson(result.link);
  });

  // made-of is answered with the JSON PostgreSQL built (genealogy-reach.ts), passed on unparsed.
  app.get(`${API_PREFIX}/genealogy/:serialId/made-of`, { onRequest: read }, async (request, reply) => {
    const id = idParam(request.params, 'serialId');
    if (!id.success) return sendInvalid(reply, id.error, 'the serial id must be a UUID');
    return reply.type('application/json; charset=utf-8').send(madeOfBody(id.data, await deps.genealogy.madeOf(id.data)));
  });
  app.get(`${API_PREFIX}/genealogy/:serialId/where-used`, { onRequest: read }, async (request, reply) => {
    const id = idParam(request.params, 'serialId');
    if (!id.success) return sendInvalid(reply, id.error, 'the serial id must be a UUID');
    return { serialId: id.data, ...(await deps.genealogy.whereUsed(id.data)) };
  });
}
