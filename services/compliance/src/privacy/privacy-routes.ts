import { randomUUID } from 'node:crypto';
import { sendProblem } from '@cutover/service-kit';
import { z } from 'zod';
import { requireRole } from '../auth/require-role.ts';
import type { ComplianceContext } from '../compliance-context.ts';
import { guarded } from '../http/guarded.ts';
import { parseBody } from '../http/parse-body.ts';

/** Days a business has to answer: CCPA 45 days, GDPR one month (taken as 30 days). */
export const PRIVACY_DEADLINE_DAYS = { ccpa: 45, gdpr: 30 } as const;

/** What a deletion keeps, and why (said in every deletion result). */
export const RETAINED_AFTER_DELETION = [
  'venue legal name, EIN and address: the payee record of Form 1099-K, kept for IRS record retention (at least 4 years)',
  'transactions and yearly tax totals: the figures reported on Form 1099-K',
  'the verification audit trail and sanctions screenings: OFAC recordkeeping (5 years)',
];

const requestSchema = z.strictObject({
  kind: z.enum(['export', 'deletion']),
  email: z.email().max(254),
  jurisdiction: z.enum(['ccpa', 'gdpr']).default('ccpa'),
});

export function privacyDueDate(receivedAt: Date, jurisdiction: keyof typeof PRIVACY_DEADLINE_DAYS): Date {
  return new Date(receivedAt.getTime() + PRIVACY_DEADLINE_DAYS[jurisdiction] * 86_400_000);
}

export function registerPrivacyRoutes(ctx: ComplianceContext): void {
  const { app } = ctx.service;
  const admins = requireRole(ctx.verifier, ['admin']);

  app.post(
    '/privacy-requests',
    { onRequest: admins },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const body = parseBody(requestSchema, request.body, reply);
      if (!body) return reply;
      const receivedAt = new Date();
      const { rows } = await ctx.pool.query(
        `INSERT INTO privacy_requests (id, kind, subject_email, jurisdiction, received_at, due_at) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, kind, jurisdiction, status, received_at, due_at`,
        [randomUUID(), body.kind, body.email.toLowerCase(), body.jurisdiction, receivedAt, privacyDueDate(receivedAt, body.jurisdiction)],
      );
      return reply.code(201).send(rows[0]);
    }),
  );

  app.get(
    '/privacy-requests',
    { onRequest: admins },
    guarded(ctx.downstreams, 'postgres', async (request) => {
      const overdue = (request.query as { overdue?: string }).overdue === 'true';
      const { rows } = await ctx.pool.query(
        `SELECT id, kind, jurisdiction, status, received_at, due_at, completed_at, (status = 'open' AND due_at < now()) AS overdue
         FROM privacy_requests ${overdue ? `WHERE status = 'open' AND due_at < now()` : ''} ORDER BY due_at`,
      );
      return { requests: rows };
    }),
  );

  // Carry the request out: an export returns the person's data; a deletion blanks it where the law allows.
  app.post(
    '/privacy-requests/:id/complete',
    { onRequest: admins },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const { id } = request.params as { id: string };
      const found = /^[0-9a-f-]{36}$/i.test(id)
        ? await ctx.pool.query(`SELECT id, kind, subject_email, status FROM privacy_requests WHERE id = $1`, [id])
        : { rows: [] };
      const privacy = found.rows[0];
      if (!privacy) return sendProblem(reply, 404, `no privacy request ${id}`);
      if (privacy.status !== 'open') return sendProblem(reply, 409, 'the request is already completed');
      let result: Record<string, unknown>;
      if (privacy.kind === 'export') {
        const venues = await ctx.pool.query(
          `SELECT id, legal_name, contact_name, contact_email, state, created_at FROM venues WHERE lower(contact_email) = $1 ORDER BY created_at`,
          [privacy.subject_email],
        );
        result = { venues: venues.rows };
      } else {
        const erased = await ctx.pool.query(
          `UPDATE venues SET contact_name = NULL, contact_email = NULL, updated_at = now() WHERE lower(contact_email) = $1 RETURNING id`,
          [privacy.subject_email],
        );
        result = {
          erased: { venues: erased.rows.map((row) => row.id), fields: ['contact_name', 'contact_email'] },
          retained: RETAINED_AFTER_DELETION,
        };
      }
      // The record says what was done, never the exported data itself.
      const summary = privacy.kind === 'export' ? { exportedVenues: (result.venues as unknown[]).length } : result;
      await ctx.pool.query(`UPDATE privacy_requests SET status = 'completed', completed_at = now(), result = $2 WHERE id = $1`, [
        id,
        JSON.stringify(summary),
      ]);
      return { id, kind: privacy.kind, ...result };
    }),
  );
}
