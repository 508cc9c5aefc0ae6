import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  decideVenueTransition,
  documentsFollowUp,
  type Role,
  type VenueCommand,
  type VenueFacts,
  type VenueState,
} from './venue-state-machine.ts';

export interface VenueAddress {
  line1: string;
  line2?: string;
  city: string;
  state: string;
  postalCode: string;
  country: string;
}

export interface Venue {
  id: string;
  ownerSubject: string;
  legalName: string;
  ein: string;
  address: VenueAddress;
  contactName: string | null;
  contactEmail: string | null;
  state: VenueState;
  createdAt: string;
  updatedAt: string;
}

export interface VenueEvent {
  id: number;
  fromState: VenueState | null;
  toState: VenueState;
  command: string;
  actorRole: string;
  actorSubject: string;
  reason: string | null;
  at: string;
}

export interface Actor {
  role: Role;
  subject: string;
}

export type TransitionOutcome =
  | { ok: true; venue: Venue; from: VenueState; to: VenueState }
  | { ok: false; error: 'not_found' }
  | { ok: false; error: 'invalid_transition' | 'not_allowed' | 'reason_required' | 'screening_open' | 'documents_missing'; detail: string };

const VENUE_COLUMNS = `id, owner_subject, legal_name, ein, address, contact_name, contact_email, state, created_at, updated_at`;

// biome-ignore lint/suspicious/noExplicitAny: a pg row
function toVenue(row: any): Venue {
  return {
    id: row.id,
    ownerSubject: row.owner_subject,
    legalName: row.legal_name,
    ein: row.ein,
    address: row.address,
    contactName: row.contact_name,
    contactEmail: row.contact_email,
    state: row.state,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function factsOf(client: pg.PoolClient, venueId: string, state: VenueState): Promise<VenueFacts> {
  const { rows } = await client.query(
    `SELECT
       (SELECT count(*)::int FROM sanctions_screenings WHERE venue_id = $1 AND status = 'possible_match') AS open_matches,
       EXISTS (SELECT 1 FROM sanctions_screenings WHERE venue_id = $1) AS screened,
       EXISTS (SELECT 1 FROM documents WHERE venue_id = $1 AND kind = 'w9') AS has_w9,
       EXISTS (SELECT 1 FROM documents WHERE venue_id = $1 AND kind = 'business_license') AS has_license`,
    [venueId],
  );
  return {
    state,
    openScreeningMatches: rows[0].open_matches,
    screened: rows[0].screened,
    hasW9: rows[0].has_w9,
    hasBusinessLicense: rows[0].has_license,
  };
}

async function recordEvent(
  client: pg.PoolClient,
  venueId: string,
  from: VenueState | null,
  to: VenueState,
  command: string,
  actor: Actor,
  reason?: string,
): Promise<void> {
  await client.query(
    `INSERT INTO venue_events (venue_id, from_state, to_state, command, actor_role, actor_subject, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [venueId, from, to, command, actor.role, actor.subject, reason ?? null],
  );
}

export interface VenueStore {
  create(input: Omit<Venue, 'id' | 'state' | 'createdAt' | 'updatedAt'>, actor: Actor): Promise<Venue>;
  get(id: string): Promise<Venue | null>;
  events(id: string): Promise<VenueEvent[]>;
  /** Apply a command under the row lock, with its audit row, in one transaction. */
  transition(id: string, command: VenueCommand, actor: Actor, reason?: string): Promise<TransitionOutcome>;
  /** After an upload: move an early venue on as its documents allow (system actor). */
  followDocuments(id: string): Promise<Venue | null>;
}

export function createVenueStore(pool: pg.Pool): VenueStore {
  const lockVenue = async (client: pg.PoolClient, id: string) => {
    const { rows } = await client.query(`SELECT ${VENUE_COLUMNS} FROM venues WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? toVenue(rows[0]) : null;
  };
  const apply = async (client: pg.PoolClient, venue: Venue, to: VenueState) => {
    const { rows } = await client.query(`UPDATE venues SET state = $2, updated_at = now() WHERE id = $1 RETURNING ${VENUE_COLUMNS}`, [
      venue.id,
      to,
    ]);
    return toVenue(rows[0]);
  };
  return {
    async create(input, actor) {
      const id = randomUUID();
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query(
          `INSERT INTO venues (id, owner_subject, legal_name, ein, address, contact_name, contact_email)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${VENUE_COLUMNS}`,
          [id, input.ownerSubject, input.legalName, input.ein, JSON.stringify(input.address), input.contactName, input.contactEmail],
        );
        await recordEvent(client, id, null, 'pending', 'submit', actor);
        return toVenue(rows[0]);
      });
    },
    async get(id) {
      const { rows } = await pool.query(`SELECT ${VENUE_COLUMNS} FROM venues WHERE id = $1`, [id]);
      return rows[0] ? toVenue(rows[0]) : null;
    },
    async events(id) {
      const { rows } = await pool.query(
        `SELECT id, from_state, to_state, command, actor_role, actor_subject, reason, at FROM venue_events WHERE venue_id = $1 ORDER BY id`,
        [id],
      );
      return rows.map((row) => ({
        id: Number(row.id),
        fromState: row.from_state,
        toState: row.to_state,
        command: row.command,
        actorRole: row.actor_role,
        actorSubject: row.actor_subject,
        reason: row.reason,
        at: row.at.toISOString(),
      }));
    },
    async transition(id, command, actor, reason) {
      return inTransaction(pool, async (client): Promise<TransitionOutcome> => {
        const venue = await lockVenue(client, id);
        if (!venue) return { ok: false, error: 'not_found' };
        const decision = decideVenueTransition(await factsOf(client, id, venue.state), command, actor.role, reason);
        if (!decision.ok) return decision;
        const updated = await apply(client, venue, decision.to);
        await recordEvent(client, id, decision.from, decision.to, command, actor, reason);
        return { ok: true, venue: updated, from: decision.from, to: decision.to };
      });
    },
    async followDocuments(id) {
      return inTransaction(pool, async (client) => {
        let venue = await lockVenue(client, id);
        if (!venue) return null;
        const system: Actor = { role: 'system', subject: 'compliance' };
        for (;;) {
          const facts = await factsOf(client, id, venue.state);
          const next = documentsFollowUp(facts);
          if (!next) return venue;
          const decision = decideVenueTransition(facts, next, 'system');
          if (!decision.ok) return venue;
          venue = await apply(client, venue, decision.to);
          await recordEvent(client, id, decision.from, decision.to, next, system);
        }
      });
    },
  };
}
