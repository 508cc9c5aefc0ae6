import { requireAuth } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { ADMIN_SCOPE, READ_SCOPE, WRITE_SCOPE } from '../auth/token-service.ts';
import { UNIQUENESS_SCOPES, type UniquenessScope } from '../config/serialization-config.ts';
import { withTransaction } from '../db/with-transaction.ts';
import { CHECK_ALGORITHMS } from '../patterns/check-character.ts';
import { generateSerials } from '../patterns/generate-serials.ts';
import { RESET_RULES, SEQUENCE_BASES } from '../patterns/parse-pattern.ts';
import type { PatternStore, SerialPattern } from '../patterns/pattern-store.ts';
import { counterScope, renderSerial } from '../patterns/render-serial.ts';
import { refuse } from './domain-result.ts';
import type { RouteDeps } from './route-deps.ts';
import { API_PREFIX, actorOf, sendInvalid, sendRefusal } from './route-helpers.ts';

const patternBody = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
  name: z.string().trim().min(1).max(200),
  template: z.string().min(1).max(100),
  partId: z.string().trim().min(1).max(64).nullable().default(null),
  sequenceBase: z.union(SEQUENCE_BASES.map((base) => z.literal(base))).default(10),
  sequenceMin: z.int().min(0).default(1),
  sequenceMax: z.int().min(0),
  incrementBy: z.int().min(1).default(1),
  resetRule: z.enum(RESET_RULES).default('never'),
  checkAlgorithm: z.enum(CHECK_ALGORITHMS).nullable().default(null),
});

export const patternJson = (pattern: SerialPattern) => {
  const { tokens: _tokens, hasPart: _hasPart, ...rest } = pattern;
  return rest;
};

/**
 *   POST /patterns                         a pattern template (admin); 422 when it cannot be unique
 *   GET  /patterns                         every pattern
 *   GET  /patterns/:id/preview?partId=     the next serial, without taking it
 *   POST /patterns/:id/generate {partId, count, scope?}   201 with the serials (Idempotency-Key replayed)
 */
export function registerPatternRoutes(
  app: FastifyInstance,
  deps: RouteDeps & {
    pool: pg.Pool;
    patterns: PatternStore;
    defaultScope: UniquenessScope;
    batchSize: number;
    auditBatchSize: number;
    maxCount: number;
  },
) {
  const read = requireAuth(deps.verifier, { scopes: [READ_SCOPE] });
  const write = requireAuth(deps.verifier, { scopes: [WRITE_SCOPE] });
  const admin = requireAuth(deps.verifier, { scopes: [ADMIN_SCOPE] });
  const generateBody = z.strictObject({
    partId: z.string().trim().min(1).max(64),
    count: z.int().min(1).max(deps.maxCount, `at most SERIAL_MAX_GENERATE_COUNT (${deps.maxCount})`).default(1),
    scope: z.enum(UNIQUENESS_SCOPES).optional(),
  });

  app.post(`${API_PREFIX}/patterns`, { onRequest: admin }, async (request, reply) => {
    const body = patternBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error);
    const result = await deps.patterns.create(body.data, actorOf(request));
    if (!result.ok) return sendRefusal(reply, result);
    return reply.code(201).send(patternJson(result.pattern));
  });

  app.get(`${API_PREFIX}/patterns`, { onRequest: read }, async () => ({ patterns: (await deps.patterns.list()).map(patternJson) }));

  app.get(`${API_PREFIX}/patterns/:id/preview`, { onRequest: read }, async (request, reply) => {
    const pattern = await deps.patterns.get((request.params as { id: string }).id);
    if (!pattern) return sendRefusal(reply, refuse(404, 'pattern_not_found', 'no such pattern'));
    const query = z.object({ partId: z.string().trim().min(1).max(64) }).safeParse(request.query);
    if (!query.success) return sendInvalid(reply, query.error, 'partId is required');
    const now = new Date();
    const scope = counterScope(pattern, query.data.partId, now);
    const { rows } = await deps.pool.query('SELECT next_value FROM serial_counters WHERE pattern_id = $1 AND scope_key = $2', [
      pattern.id,
      scope,
    ]);
    const next = Number(rows[0]?.next_value ?? pattern.sequenceMin);
    if (next > pattern.sequenceMax)
      return sendRefusal(reply, refuse(409, 'pattern_exhausted', `pattern ${pattern.id} is exhausted in counter ${scope}`));
    return { counterScope: scope, sequence: next, ...renderSerial(pattern, { partId: query.data.partId, date: now, sequence: next }) };
  });

  app.post(
    `${API_PREFIX}/patterns/:id/generate`,
    { onRequest: write, config: { idempotency: { required: false } } },
    async (request, reply) => {
      const body = generateBody.safeParse(request.body);
      if (!body.success) return sendInvalid(reply, body.error);
      const pattern = await deps.patterns.get((request.params as { id: string }).id);
      if (!pattern) return sendRefusal(reply, refuse(404, 'pattern_not_found', 'no such pattern'));
      const scope = body.data.scope ?? deps.defaultScope;
      const result = await withTransaction(deps.pool, (client) =>
        generateSerials(client, {
          pattern,
          partId: body.data.partId,
          count: body.data.count,
          scope,
          actor: actorOf(request),
          batchSize: deps.batchSize,
          auditBatchSize: deps.auditBatchSize,
        }),
      );
      if (!result.ok) {
        if (result.code === 'serial_duplicate_in_scope') deps.metrics.uniquenessConflicts.inc({ scope, source: 'system' });
        return sendRefusal(reply, result);
      }
      deps.metrics.serialsGenerated.inc({ pattern: pattern.id }, result.serials.length);
      return reply
        .code(201)
        .send({ patternId: pattern.id, partId: body.data.partId, counterScope: result.counterScope, serials: result.serials });
    },
  );
}
