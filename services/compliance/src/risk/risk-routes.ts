import { randomUUID } from 'node:crypto';
import { requireRole } from '../auth/require-role.ts';
import type { ComplianceContext } from '../compliance-context.ts';
import { guarded } from '../http/guarded.ts';
import { loadVenue } from '../venues/venue-routes.ts';
import { type RiskInputs, scoreRisk } from './risk-score.ts';

async function riskInputs(ctx: ComplianceContext, venueId: string, verified: boolean): Promise<RiskInputs> {
  const { rows } = await ctx.pool.query(
    `SELECT
       count(*) FILTER (WHERE kind = 'sale' AND occurred_at > now() - interval '24 hours')::int AS sales_24h,
       count(*) FILTER (WHERE kind = 'sale')::int AS sales_30d,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'sale'), 0)::bigint AS sales_amount,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)::bigint AS refunds_amount,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'chargeback'), 0)::bigint AS chargebacks_amount,
       (SELECT count(*)::int FROM sanctions_screenings WHERE venue_id = $1 AND status = 'possible_match') AS open_matches,
       (SELECT count(*)::int FROM sanctions_screenings WHERE venue_id = $1 AND status = 'confirmed') AS confirmed_matches
     FROM venue_transactions WHERE venue_id = $1 AND occurred_at > now() - interval '30 days'`,
    [venueId],
  );
  const row = rows[0];
  return {
    salesLast24h: row.sales_24h,
    salesLast30d: row.sales_30d,
    salesAmountLast30dCents: Number(row.sales_amount),
    refundsAmountLast30dCents: Number(row.refunds_amount),
    chargebacksAmountLast30dCents: Number(row.chargebacks_amount),
    openScreeningMatches: row.open_matches,
    confirmedScreeningMatches: row.confirmed_matches,
    verified,
  };
}

/** `GET /venues/:id/risk`: the score with its reasons; a score at or above RISK_REVIEW_SCORE opens a review (one open per venue). */
export function registerRiskRoutes(ctx: ComplianceContext): void {
  const reviewers = requireRole(ctx.verifier, ['reviewer', 'admin']);
  ctx.service.app.get(
    '/venues/:id/risk',
    { onRequest: reviewers },
    guarded(ctx.downstreams, 'postgres', async (request, reply) => {
      const venue = await loadVenue(ctx, request, reply);
      if (!venue) return reply;
      const risk = scoreRisk(await riskInputs(ctx, venue.id, venue.state === 'verified'));
      let review: { id: string; opened: boolean } | null = null;
      if (risk.score >= ctx.config.RISK_REVIEW_SCORE) {
        const { rows } = await ctx.pool.query(
          `INSERT INTO risk_reviews (id, venue_id, score, reasons) VALUES ($1, $2, $3, $4)
           ON CONFLICT (venue_id) WHERE status = 'open' DO NOTHING RETURNING id`,
          [randomUUID(), venue.id, risk.score, JSON.stringify(risk.reasons)],
        );
        if (rows[0]) {
          review = { id: rows[0].id, opened: true };
          await ctx.events.publish('risk.review_opened', { venueId: venue.id, score: risk.score, reviewId: rows[0].id });
        } else {
          const open = await ctx.pool.query(`SELECT id FROM risk_reviews WHERE venue_id = $1 AND status = 'open'`, [venue.id]);
          review = open.rows[0] ? { id: open.rows[0].id, opened: false } : null;
        }
      }
      return { venueId: venue.id, ...risk, reviewThreshold: ctx.config.RISK_REVIEW_SCORE, review };
    }),
  );
}
