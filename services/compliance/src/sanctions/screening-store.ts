import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ListIdentity, ScreeningMatch } from './sanctions-list.ts';
import type { SanctionsListHolder } from './sanctions-list-holder.ts';

export type ScreeningStatus = 'clear' | 'possible_match' | 'cleared' | 'confirmed';

export interface Screening {
  id: string;
  venueId: string | null;
  subjectName: string;
  list: { version: string; checksum: string };
  threshold: number;
  status: ScreeningStatus;
  matches: ScreeningMatch[];
  screenedAt: string;
  review: { by: string; at: string; note: string | null } | null;
}

export type ScreenOutcome = { ok: true; screening: Screening } | { ok: false; error: 'no_list'; detail: string };

export type ReviewOutcome =
  | { ok: true; screening: Screening }
  | { ok: false; error: 'not_found' }
  | { ok: false; error: 'not_open'; detail: string };

// biome-ignore lint/suspicious/noExplicitAny: a pg row
function toScreening(row: any): Screening {
  return {
    id: row.id,
    venueId: row.venue_id,
    subjectName: row.subject_name,
    list: { version: row.list_version, checksum: row.list_checksum },
    threshold: Number(row.threshold),
    status: row.status,
    matches: row.matches,
    screenedAt: row.screened_at.toISOString(),
    review: row.reviewed_by ? { by: row.reviewed_by, at: row.reviewed_at.toISOString(), note: row.review_note } : null,
  };
}

export interface ScreeningStore {
  /** Screens a name against the current list and records the result with the list's version and checksum. */
  screen(name: string, venueId: string | null, threshold: number): Promise<ScreenOutcome>;
  get(id: string): Promise<Screening | null>;
  forVenue(venueId: string): Promise<Screening[]>;
  /** A reviewer's decision on a possible match: a false positive (cleared) or a true one (confirmed). */
  review(id: string, decision: 'cleared' | 'confirmed', reviewer: string, note: string | null): Promise<ReviewOutcome>;
}

export function createScreeningStore(pool: pg.Pool, holder: SanctionsListHolder, onScreened?: (ms: number) => void): ScreeningStore {
  const columns = `id, venue_id, subject_name, list_version, list_checksum, threshold, status, matches, screened_at, reviewed_by, reviewed_at, review_note`;
  return {
    async screen(name, venueId, threshold) {
      const list = holder.current;
      if (!list) return { ok: false, error: 'no_list', detail: 'no sanctions list is loaded: refresh it (POST /admin/sanctions/refresh)' };
      const startedAt = performance.now();
      const matches = list.screen(name, threshold);
      onScreened?.(performance.now() - startedAt);
      const identity: ListIdentity = list.identity;
      const { rows } = await pool.query(
        `INSERT INTO sanctions_screenings (id, venue_id, subject_name, list_version, list_checksum, threshold, status, matches)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
        [
          randomUUID(),
          venueId,
          name,
          identity.version,
          identity.checksum,
          threshold,
          matches.length > 0 ? 'possible_match' : 'clear',
          JSON.stringify(matches),
        ],
      );
      return { ok: true, screening: toScreening(rows[0]) };
    },
    async get(id) {
      const { rows } = await pool.query(`SELECT ${columns} FROM sanctions_screenings WHERE id = $1`, [id]);
      return rows[0] ? toScreening(rows[0]) : null;
    },
    async forVenue(venueId) {
      const { rows } = await pool.query(`SELECT ${columns} FROM sanctions_screenings WHERE venue_id = $1 ORDER BY screened_at`, [venueId]);
      return rows.map(toScreening);
    },
    async review(id, decision, reviewer, note) {
      const { rows } = await pool.query(
        `UPDATE sanctions_screenings SET status = $2, reviewed_by = $3, reviewed_at = now(), review_note = $4
         WHERE id = $1 AND status = 'possible_match' RETURNING ${columns}`,
        [id, decision, reviewer, note],
      );
      if (rows[0]) return { ok: true, screening: toScreening(rows[0]) };
      const existing = await this.get(id);
      if (!existing) return { ok: false, error: 'not_found' };
      return { ok: false, error: 'not_open', detail: `the screening is ${existing.status}: only a possible match can be reviewed` };
    },
  };
}
