import { sendProblem } from '@cutover/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorRole, canAccessVenue, requireRole } from '../auth/require-role.ts';
import type { ComplianceContext } from '../compliance-context.ts';
import { guarded } from '../http/guarded.ts';
import { PROBLEM_TYPES, parseBody } from '../http/parse-body.ts';
import { checkEin } from './ein.ts';
import { createVenueSchema, optionalReasonSchema, reasonSchema } from './venue-input.ts';
import type { VenueCommand } from './venue-state-machine.ts';
import type { TransitionOutcome, Venue } from './venue-store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The venue named by `:id` when the caller may see it; otherwise answers 404 (never telling whether it exists). */
export async function loadVenue(ctx: ComplianceContext, request: FastifyRequest, reply: FastifyReply): Promise<Venue | undefined> {
  const { id } = request.params as { id: string };
  const venue = UUID.test(id) ? await ctx.venues.get(id) : null;
  if (!venue || !canAccessVenue(request.principal!, venue.ownerSubject)) {
    sendProblem(reply, 404, `no venue ${id}`);
    return undefined;
  }
  return venue;
}

export function sendTransitionRefusal(reply: FastifyReply, outcome: Exclude<TransitionOutcome, { ok: true }>, id: string) {
  if (outcome.error === 'not_found') return sendProblem(reply, 404, `no venue ${id}`);
  if (outcome.error === 'not_allowed') return sendProblem(reply, 403, outcome.detail);
  if (outcome.error === 'reason_required') return sendProblem(reply, 400, outcome.detail);
  const type = outcome.error === 'screening_open' ? PROBLEM_TYPES.screeningOpen : PROBLEM_TYPES.invalidTransition;
  return sendProblem(reply, 409, outcome.detail, { type, error: outcome.error });
}

export function registerVenueRoutes(ctx: ComplianceContext): void {
  const { app } = ctx.service;
  const anyone = requireRole(ctx.verifier, ['venue', 'reviewer', 'admin']);
  const reviewers = requireRole(ctx.verifier, ['reviewer', 'admin']);
  const admins = requireRole(ctx.verifier, ['admin']);

  app.post(
    '/venues',
    { onRequest: requireRole(ctx.verifier, ['venue', 'admin']), config: { idempotency: { required: false } } },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const input = parseBody(createVenueSchema, request.body, reply);
      if (!input) return reply;
      const ein = checkEin(input.ein);
      if (!ein.ok) {
        return sendProblem(reply, 422, `ein: ${ein.detail}`, {
          type: PROBLEM_TYPES.invalidEin,
          errors: [{ path: 'ein', message: ein.detail, reason: ein.reason }],
        });
      }
      const principal = request.principal!;
      const actor = { role: actorRole(principal), subject: principal.subject };
      const created = await ctx.venues.create(
        {
          ownerSubject: principal.subject,
          legalName: input.legalName,
          ein: ein.ein,
          address: input.address,
          contactName: input.contactName ?? null,
          contactEmail: input.contactEmail ?? null,
        },
        actor,
      );
      const screened = await ctx.screenings.screen(created.legalName, created.id, ctx.config.SANCTIONS_MATCH_THRESHOLD);
      if (screened.ok && screened.screening.status === 'possible_match') {
        await ctx.events.publish('screening.match', {
          venueId: created.id,
          screeningId: screened.screening.id,
          matches: screened.screening.matches.length,
        });
      }
      const venue = (await ctx.venues.followDocuments(created.id)) ?? created;
      return reply
        .code(201)
        .header('location', `/venues/${venue.id}`)
        .send({ venue, screening: screened.ok ? screened.screening : null, ...(screened.ok ? {} : { screeningPending: screened.detail }) });
    }),
  );

  app.get(
    '/venues/:id',
    { onRequest: anyone },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply;
      const [events, screenings] = await Promise.all([ctx.venues.events(venue.id), ctx.screenings.forVenue(venue.id)]);
      return { venue, events, screenings };
    }),
  );

  const command = (name: VenueCommand, withReason: 'required' | 'optional') =>
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const { id } = (request as IdRequest).params;
      const body = parseBody(withReason === 'required' ? reasonSchema : optionalReasonSchema, request.body, reply);
      if (!body) return reply;
      if (!(await loadVenue(ctx, request, reply))) return reply;
      const principal = request.principal!;
      const outcome = await ctx.venues.transition(id, name, { role: actorRole(principal), subject: principal.subject }, body.reason);
      if (!outcome.ok) return sendTransitionRefusal(reply, outcome, id);
      if (outcome.to === 'verified') await ctx.events.publish('venue.verified', { venueId: id, legalName: outcome.venue.legalName });
      if (outcome.to === 'rejected') await ctx.events.publish('venue.rejected', { venueId: id, reason: body.reason ?? null });
      return { venue: outcome.venue, transition: { from: outcome.from, to: outcome.to, command: name } };
    });
  app.post('/venues/:id/verify', { onRequest: reviewers }, command('verify', 'optional'));
  app.post('/venues/:id/reject', { onRequest: reviewers }, command('reject', 'required'));
  app.post('/venues/:id/reopen', { onRequest: admins }, command('reopen', 'required'));
}
