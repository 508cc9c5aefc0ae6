import type pg from 'pg';
import { type ThresholdRule, taxYearOf } from './tax-threshold.ts';

export type TransactionKind = 'sale' | 'refund' | 'chargeback';

export interface RecordedTransaction {
  recorded: boolean;
  year: number;
  /** True when this transaction made the venue cross the 1099-K threshold for the year. */
  thresholdReached: boolean;
}

export interface YearReport {
  venueId: string;
  legalName: string;
  ein: string;
  year: number;
  grossCents: number;
  transactions: number;
  refundsCents: number;
  chargebacksCents: number;
  /** Gross per month, January first (Form 1099-K boxes 5a-5l). */
  monthlyGrossCents: number[];
  needs1099K: boolean;
  thresholdReachedAt: string | null;
  rule: ThresholdRule;
}

/** Sales per venue per calendar year; each transaction id counts once. */
export function createTaxStore(pool: pg.Pool, rule: ThresholdRule) {
  return {
    async record(input: {
      transactionId: string;
      venueId: string;
      kind: TransactionKind;
      amountCents: number;
      occurredAt: Date;
    }): Promise<RecordedTransaction> {
      const year = taxYearOf(input.occurredAt);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const inserted = await client.query(
          `INSERT INTO venue_transactions (transaction_id, venue_id, kind, amount_cents, occurred_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (transaction_id) DO NOTHING`,
          [input.transactionId, input.venueId, input.kind, input.amountCents, input.occurredAt],
        );
        if (inserted.rowCount === 0) {
          await client.query('COMMIT');
          return { recorded: false, year, thresholdReached: false };
        }
        const sale = input.kind === 'sale';
        const { rows } = await client.query(
          `INSERT INTO venue_tax_years AS t (venue_id, year, gross_cents, transactions, refunds_cents, chargebacks_cents)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (venue_id, year) DO UPDATE SET
             gross_cents = t.gross_cents + EXCLUDED.gross_cents,
             transactions = t.transactions + EXCLUDED.transactions,
             refunds_cents = t.refunds_cents + EXCLUDED.refunds_cents,
             chargebacks_cents = t.chargebacks_cents + EXCLUDED.chargebacks_cents
           RETURNING gross_cents, transactions, threshold_reached_at`,
          [
            input.venueId,
            year,
            sale ? input.amountCents : 0,
            sale ? 1 : 0,
            input.kind === 'refund' ? input.amountCents : 0,
            input.kind === 'chargeback' ? input.amountCents : 0,
          ],
        );
        const totals = rows[0];
        let thresholdReached = false;
        if (
          totals.threshold_reached_at === null &&
          Number(totals.gross_cents) > rule.minGrossCents &&
          totals.transactions > rule.minTransactions
        ) {
          await client.query(`UPDATE venue_tax_years SET threshold_reached_at = now() WHERE venue_id = $1 AND year = $2`, [
            input.venueId,
            year,
          ]);
          thresholdReached = true;
        }
        await client.query('COMMIT');
        return { recorded: true, year, thresholdReached };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    async yearReport(venueId: string, year: number): Promise<YearReport | null> {
      const { rows } = await pool.query(
        `SELECT v.id, v.legal_name, v.ein, t.gross_cents, t.transactions, t.refunds_cents, t.chargebacks_cents, t.threshold_reached_at,
                ARRAY(SELECT coalesce(sum(x.amount_cents) FILTER (WHERE x.kind = 'sale'), 0)::bigint
                      FROM generate_series(1, 12) AS m
                      LEFT JOIN venue_transactions x ON x.venue_id = v.id
                        AND x.occurred_at >= make_timestamptz($2, m, 1, 0, 0, 0, 'UTC')
                        AND x.occurred_at < make_timestamptz($2, m, 1, 0, 0, 0, 'UTC') + interval '1 month'
                      GROUP BY m ORDER BY m) AS monthly
         FROM venues v LEFT JOIN venue_tax_years t ON t.venue_id = v.id AND t.year = $2
         WHERE v.id = $1`,
        [venueId, year],
      );
      const row = rows[0];
      if (!row) return null;
      const grossCents = Number(row.gross_cents ?? 0);
      const transactions = Number(row.transactions ?? 0);
      return {
        venueId,
        legalName: row.legal_name,
        ein: row.ein,
        year,
        grossCents,
        transactions,
        refundsCents: Number(row.refunds_cents ?? 0),
        chargebacksCents: Number(row.chargebacks_cents ?? 0),
        monthlyGrossCents: row.monthly.map(Number),
        needs1099K: grossCents > rule.minGrossCents && transactions > rule.minTransactions,
        thresholdReachedAt: row.threshold_reached_at ? row.threshold_reached_at.toISOString() : null,
        rule,
      };
    },

    /** Venues that need a 1099-K for the year. */
    async reportable(year: number): Promise<{ venueId: string; grossCents: number; transactions: number }[]> {
      const { rows } = await pool.query(
        `SELECT venue_id, gross_cents, transactions FROM venue_tax_years WHERE year = $1 AND gross_cents > $2 AND transactions > $3 ORDER BY venue_id`,
        [year, rule.minGrossCents, rule.minTransactions],
      );
      return rows.map((row) => ({ venueId: row.venue_id, grossCents: Number(row.gross_cents), transactions: row.transactions }));
    },
  };
}

export type TaxStore = ReturnType<typeof createTaxStore>;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const csvField = (value: string | number | boolean | null) => {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
const dollars = (cents: number) => (cents / 100).toFixed(2);

/** The year-end report as CSV: a header row and one row for the venue, amounts in dollars. */
export function yearReportCsv(report: YearReport): string {
  const header = [
    'venue_id',
    'legal_name',
    'ein',
    'year',
    'gross_amount',
    'transactions',
    'refunds',
    'chargebacks',
    ...MONTHS.map((m) => `gross_${m}`),
    'needs_1099k',
  ];
  const row = [
    report.venueId,
    report.legalName,
    report.ein,
    report.year,
    dollars(report.grossCents),
    report.transactions,
    dollars(report.refundsCents),
    dollars(report.chargebacksCents),
    ...report.monthlyGrossCents.map(dollars),
    report.needs1099K,
  ];
  return `${header.join(',')}\r\n${row.map(csvField).join(',')}\r\n`;
}
