import { sendProblem } from '@cutover/service-kit';
import { z } from 'zod';
import { actorRole, requireRole } from '../auth/require-role.ts';
import type { ComplianceContext } from '../compliance-context.ts';
import { guarded } from '../http/guarded.ts';
import { parseBody } from '../http/parse-body.ts';
import { loadVenue } from '../venues/venue-routes.ts';

const reviewSchema = z.strictObject({
  decision: z.enum(['cleared', 'confirmed'], { error: 'must be cleared (a false positive) or confirmed (a true match)' }),
  note: z.string().trim().max(2000).optional(),
});
const screenSchema = z.strictObject({
  name: z.string().trim().min(2).max(300),
  /** Overrides SANCTIONS_MATCH_THRESHOLD for this screening (recorded with it). */
  threshold: z.number().min(0.5).max(1).optional(),
});

export function registerScreeningRoutes(ctx: ComplianceContext): void {
  const { app } = ctx.service;
  const reviewers = requireRole(ctx.verifier, ['reviewer', 'admin']);
  const admins = requireRole(ctx.verifier, ['admin']);

  // Ad-hoc screening of a name (recorded, with no venue).
  app.post(
    '/screenings',
    { onRequest: reviewers },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const body = parseBody(screenSchema, request.body, reply);
      if (!body) return reply;
      const outcome = await ctx.screenings.screen(body.name, null, body.threshold ?? ctx.config.SANCTIONS_MATCH_THRESHOLD);
      if (!outcome.ok) return sendProblem(reply.header('retry-after', '30'), 503, outcome.detail);
      return reply.code(201).send(outcome.screening);
    }),
  );

  // Screen a venue again (after a list refresh, a name change).
  app.post(
    '/venues/:id/screenings',
    { onRequest: reviewers },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply;
      const outcome = await ctx.screenings.screen(venue.legalName, venue.id, ctx.config.SANCTIONS_MATCH_THRESHOLD);
      if (!outcome.ok) return sendProblem(reply.header('retry-after', '30'), 503, outcome.detail);
      if (outcome.screening.status === 'possible_match') {
        await ctx.events.publish('screening.match', {
          venueId: venue.id,
          screeningId: outcome.screening.id,
          matches: outcome.screening.matches.length,
        });
      }
      return reply.code(201).send(outcome.screening);
    }),
  );

  app.get(
    '/screenings/:id',
    { onRequest: reviewers },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const { id } = request.params as { id: string };
      const screening = /^[0-9a-f-]{36}$/i.test(id) ? await ctx.screenings.get(id) : null;
      return screening ?? sendProblem(reply, 404, `no screening ${id}`);
    }),
  );

  // A reviewer's decision. A confirmed match rejects the venue (audited, with the screening named).
  app.post(
    '/screenings/:id/review',
    { onRequest: reviewers },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = parseBody(reviewSchema, request.body, reply);
      if (!body) return reply;
      if (!/^[0-9a-f-]{36}$/i.test(id)) return sendProblem(reply, 404, `no screening ${id}`);
      const principal = request.principal!;
      const outcome = await ctx.screenings.review(id, body.decision, principal.subject, body.note ?? null);
      if (!outcome.ok)
        return outcome.error === 'not_found' ? sendProblem(reply, 404, `no screening ${id}`) : sendProblem(reply, 409, outcome.detail);
      const venueId = outcome.screening.venueId;
      if (body.decision === 'confirmed' && venueId) {
        const reason = `sanctions match confirmed by screening ${id}`;
        const rejected = await ctx.venues.transition(venueId, 'reject', { role: actorRole(principal), subject: principal.subject }, reason);
        if (rejected.ok) await ctx.events.publish('venue.rejected', { venueId, reason });
      }
      return outcome.screening;
    }),
  );

  app.get('/admin/sanctions', { onRequest: admins }, async (_request, reply) => {
    const identity = ctx.sanctions.identity;
    return identity ? { loaded: true, ...identity } : reply.code(200).send({ loaded: false });
  });

  // Reload the operator's files; the new list replaces the old only once it is fully built.
  app.post('/admin/sanctions/refresh', { onRequest: admins }, async (_request, reply) => {
    const outcome = await ctx.sanctions.refresh();
    if (!outcome.ok) {
      return sendProblem(reply, 422, `the list was not replaced: ${outcome.detail}`, {
        error: outcome.error,
        current: ctx.sanctions.identity,
        problems: outcome.problems.slice(0, 20),
      });
    }
    return { ...outcome.list.identity, problems: outcome.problems.slice(0, 20) };
  });
}
