import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import { type Queryable, withTransaction } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import type { CheckAlgorithm } from './check-character.ts';
import { type ParsedPattern, type PatternDefinition, parsePattern, type ResetRule, type SequenceBase } from './parse-pattern.ts';

export interface SerialPattern extends ParsedPattern {
  id: string;
  name: string;
  partId: string | null;
}

export interface PatternInput extends PatternDefinition {
  id: string;
  name: string;
  partId: string | null;
}

function fromRow(row: Record<string, unknown>): SerialPattern | null {
  const parsed = parsePattern({
    template: row.template as string,
    sequenceBase: Number(row.sequence_base) as SequenceBase,
    sequenceMin: Number(row.sequence_min),
    sequenceMax: Number(row.sequence_max),
    incrementBy: Number(row.increment_by),
    resetRule: row.reset_rule as ResetRule,
    checkAlgorithm: (row.check_algorithm as CheckAlgorithm | null) ?? null,
  });
  if (!parsed.ok) return null;
  return { ...parsed.pattern, id: row.id as string, name: row.name as string, partId: (row.part_id as string | null) ?? null };
}

export async function findPattern(db: Queryable, id: string): Promise<SerialPattern | null> {
  const { rows } = await db.query('SELECT * FROM serial_patterns WHERE id = $1', [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Inserts a pattern (or, with `upsert`, leaves an existing one of that id as it is) and audits it. */
export async function insertPattern(
  client: Queryable,
  input: PatternInput,
  actor: { subject: string; requestId: string },
): Promise<Result<{ pattern: SerialPattern; created: boolean }>> {
  const parsed = parsePattern(input);
  if (!parsed.ok)
    return refuse(422, 'pattern_cannot_be_unique', `pattern ${input.id} is refused: ${parsed.problems.join('; ')}`, {
      problems: parsed.problems,
    });
  const { rowCount } = await client.query(
    `INSERT INTO serial_patterns (id, name, template, part_id, sequence_base, sequence_min, sequence_max, increment_by, reset_rule, check_algorithm)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
    [
      input.id,
      input.name,
      input.template,
      input.partId,
      input.sequenceBase,
      input.sequenceMin,
      input.sequenceMax,
      input.incrementBy,
      input.resetRule,
      input.checkAlgorithm,
    ],
  );
  const pattern = { ...parsed.pattern, id: input.id, name: input.name, partId: input.partId };
  if (rowCount === 0) return { ok: true, pattern: (await findPattern(client, input.id)) ?? pattern, created: false };
  await writeAudit(client, [
    {
      eventType: 'pattern:created',
      entityType: 'pattern',
      entityId: input.id,
      partId: input.partId,
      performedBy: actor.subject,
      after: { ...input },
      requestId: actor.requestId,
    },
  ]);
  return { ok: true, pattern, created: true };
}

export interface PatternStore {
  create(input: PatternInput, actor: { subject: string; requestId: string }): Promise<Result<{ pattern: SerialPattern; created: boolean }>>;
  get(id: string): Promise<SerialPattern | null>;
  list(): Promise<SerialPattern[]>;
}

export function createPatternStore(pool: pg.Pool): PatternStore {
  return {
    async create(input, actor) {
      const result = await withTransaction(pool, (client) => insertPattern(client, input, actor));
      if (result.ok && !result.created)
        return refuse(409, 'pattern_exists', `a pattern with id ${input.id} exists; patterns are never changed (create a new one)`);
      return result;
    },
    get: (id) => findPattern(pool, id),
    async list() {
      const { rows } = await pool.query('SELECT * FROM serial_patterns ORDER BY id');
      return rows.map(fromRow).filter((pattern): pattern is SerialPattern => pattern !== null);
    },
  };
}
