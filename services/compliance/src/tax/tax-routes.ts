import { sendProblem } from '@cutover/service-kit';
import { z } from 'zod';
import { requireRole } from '../auth/require-role.ts';
import type { ComplianceContext } from '../compliance-context.ts';
import { guarded } from '../http/guarded.ts';
import { parseBody } from '../http/parse-body.ts';
import { loadVenue } from '../venues/venue-routes.ts';
import { createTaxStore, type TaxStore, yearReportCsv } from './tax-store.ts';

export const transactionSchema = z.strictObject({
  transactionId: z.string().trim().min(1).max(255),
  kind: z.enum(['sale', 'refund', 'chargeback']),
  amountCents: z.number().int().positive().max(100_000_000_00),
  occurredAt: z.iso.datetime({ offset: true }),
});

export function taxStoreFor(ctx: ComplianceContext): TaxStore {
  return createTaxStore(ctx.pool, {
    minGrossCents: ctx.config.TAX_1099K_MIN_GROSS_CENTS,
    minTransactions: ctx.config.TAX_1099K_MIN_TRANSACTIONS,
  });
}

/** Records one payment event of a venue; a crossed 1099-K threshold raises `tax.threshold_reached` once per year. */
export async function recordTransaction(ctx: ComplianceContext, tax: TaxStore, venueId: string, input: z.output<typeof transactionSchema>) {
  const recorded = await tax.record({ ...input, venueId, occurredAt: new Date(input.occurredAt) });
  if (recorded.thresholdReached) await ctx.events.publish('tax.threshold_reached', { venueId, year: recorded.year });
  return recorded;
}

export function registerTaxRoutes(ctx: ComplianceContext): void {
  const { app } = ctx.service;
  const tax = taxStoreFor(ctx);
  const admins = requireRole(ctx.verifier, ['admin']);
  const anyone = requireRole(ctx.verifier, ['venue', 'reviewer', 'admin']);

  app.post(
    '/venues/:id/transactions',
    { onRequest: admins },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const input = parseBody(transactionSchema, request.body, reply);
      if (!input) return reply;
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply;
      const recorded = await recordTransaction(ctx, tax, venue.id, input);
      return reply.code(recorded.recorded ? 201 : 200).send(recorded);
    }),
  );

  app.get(
    '/venues/:id/tax/:year',
    { onRequest: anyone },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const { year } = request.params as { year: string };
      const yearNumber = Number(year);
      if (!/^\d{4}$/.test(year) || yearNumber < 2000 || yearNumber > 2100)
        return sendProblem(reply, 400, 'year must be a calendar year such as 2026');
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply;
      const report = await tax.yearReport(venue.id, yearNumber);
      if (!report) return sendProblem(reply, 404, `no venue ${venue.id}`);
      const format = (request.query as { format?: string }).format;
      if (format === 'csv') {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="1099k-${venue.id}-${year}.csv"`)
          .send(yearReportCsv(report));
      }
      return report;
    }),
  );

  app.get(
    '/tax/:year/reportable',
    { onRequest: admins },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const year = Number((request.params as { year: string }).year);
      if (!Number.isInteger(year) || year < 2000 || year > 2100)
        return sendProblem(reply, 400, 'year must be a calendar year such as 2026');
      return { year, venues: await tax.reportable(year) };
    }),
  );
}
