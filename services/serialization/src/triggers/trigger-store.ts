import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { withTransaction } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import { generateSerials } from '../patterns/generate-serials.ts';
import { findPattern } from '../patterns/pattern-store.ts';
import { resolvePlaceholder } from '../placeholders/placeholder-store.ts';
import { transitionVendorSerial } from '../vendor/vendor-serial-store.ts';

/**
 * Assignment triggers: rules on operation events of a part. When an event arrives (receipt,
 * operation complete, inspection pass), every enabled trigger of its part and type (and operation,
 * when the trigger names one) runs its action: generate serials from its pattern, resolve the
 * event's placeholder with a serial from its pattern, or accept the event's vendor serial.
 *
 * Idempotent by event id: the execution row (event, trigger) is inserted before the action, so a
 * re-sent event (on any instance, even while the first is still running) waits for and then
 * returns the first one's outcome and serials, never consuming a second serial. Each trigger runs
 * under a savepoint: a refused action (pattern exhausted, placeholder already resolved) is
 * recorded as `failed` or `skipped` without undoing the others.
 */

export const TRIGGER_EVENT_TYPES = ['receipt', 'operation_complete', 'inspection_pass'] as const;
export type TriggerEventType = (typeof TRIGGER_EVENT_TYPES)[number];
export const TRIGGER_ACTIONS = ['generate', 'resolve_placeholder', 'accept_vendor_serial'] as const;
export type TriggerAction = (typeof TRIGGER_ACTIONS)[number];

export interface AssignmentTrigger {
  id: string;
  name: string;
  partId: string;
  eventType: TriggerEventType;
  operationCode: string | null;
  action: TriggerAction;
  patternId: string | null;
  enabled: boolean;
}

export interface OperationEvent {
  eventId: string;
  eventType: TriggerEventType;
  partId: string;
  operationCode: string | null;
  quantity: number;
  placeholderId: string | null;
  vendorSerialId: string | null;
}

export interface TriggerExecution {
  triggerId: string;
  triggerName: string;
  outcome: 'assigned' | 'skipped' | 'failed';
  serials: { id: string; serialNumber: string }[];
  detail: string | null;
  replayed: boolean;
}

export interface TriggerStatistics {
  triggerId: string;
  name: string;
  eventType: TriggerEventType;
  action: TriggerAction;
  enabled: boolean;
  executions: number;
  assigned: number;
  skipped: number;
  failed: number;
  serialsAssigned: number;
  lastExecutedAt: Date | null;
}

const triggerFromRow = (row: Record<string, unknown>): AssignmentTrigger => ({
  id: row.id as string,
  name: row.name as string,
  partId: row.part_id as string,
  eventType: row.event_type as TriggerEventType,
  operationCode: (row.operation_code as string | null) ?? null,
  action: row.action as TriggerAction,
  patternId: (row.pattern_id as string | null) ?? null,
  enabled: row.enabled as boolean,
});

export interface TriggerStore {
  create(
    input: Omit<AssignmentTrigger, 'id' | 'enabled'>,
    actor: { subject: string; requestId: string },
  ): Promise<Result<{ trigger: AssignmentTrigger }>>;
  list(partId: string): Promise<AssignmentTrigger[]>;
  handleEvent(event: OperationEvent, actor: { subject: string; requestId: string }): Promise<TriggerExecution[]>;
  statistics(partId: string): Promise<TriggerStatistics[]>;
}

export function createTriggerStore(
  pool: pg.Pool,
  options: { scope: UniquenessScope; batchSize: number; auditBatchSize: number; maxCount: number },
): TriggerStore {
  return {
    create: (input, actor) =>
      withTransaction(pool, async (client) => {
        if (input.action !== 'accept_vendor_serial') {
          if (!input.patternId) return refuse(422, 'trigger_needs_pattern', `action ${input.action} needs a patternId`);
          if (!(await findPattern(client, input.patternId))) return refuse(404, 'pattern_not_found', `no pattern ${input.patternId}`);
        }
        const { rows } = await client.query(
          `INSERT INTO serial_assignment_triggers (name, part_id, event_type, operation_code, action, pattern_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING *`,
          [input.name, input.partId, input.eventType, input.operationCode, input.action, input.patternId],
        );
        if (rows.length === 0) return refuse(409, 'trigger_exists', `a trigger named ${input.name} exists`);
        const trigger = triggerFromRow(rows[0]);
        await writeAudit(client, [
          {
            eventType: 'trigger:created',
            entityType: 'trigger',
            entityId: trigger.id,
            partId: trigger.partId,
            performedBy: actor.subject,
            after: input,
            requestId: actor.requestId,
          },
        ]);
        return { ok: true, trigger };
      }),
    async list(partId) {
      const { rows } = await pool.query('SELECT * FROM serial_assignment_triggers WHERE part_id = $1 ORDER BY name', [partId]);
      return rows.map(triggerFromRow);
    },
    handleEvent: (event, actor) =>
      withTransaction(pool, async (client) => {
        const { rows } = await client.query(
          `SELECT * FROM serial_assignment_triggers WHERE enabled AND part_id = $1 AND event_type = $2
              AND (operation_code IS NULL OR operation_code = $3) ORDER BY name`,
          [event.partId, event.eventType, event.operationCode],
        );
        const executions: TriggerExecution[] = [];
        for (const trigger of rows.map(triggerFromRow)) {
          const claimed = await client.query(
            `INSERT INTO serial_trigger_executions (event_id, trigger_id, part_id, outcome) VALUES ($1, $2, $3, 'skipped')
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [event.eventId, trigger.id, event.partId],
          );
          if (claimed.rows.length === 0) {
            const previous = await client.query(
              `SELECT x.outcome, x.detail, coalesce(array_agg(s.id ORDER BY s.serial_number) FILTER (WHERE s.id IS NOT NULL), '{}') AS ids,
                      coalesce(array_agg(s.serial_number ORDER BY s.serial_number) FILTER (WHERE s.id IS NOT NULL), '{}') AS numbers
                 FROM serial_trigger_executions x LEFT JOIN serials s ON s.id = ANY (x.serial_ids)
                WHERE x.event_id = $1 AND x.trigger_id = $2 GROUP BY x.outcome, x.detail`,
              [event.eventId, trigger.id],
            );
            const row = previous.rows[0];
            executions.push({
              triggerId: trigger.id,
              triggerName: trigger.name,
              outcome: row.outcome,
              detail: row.detail,
              serials: (row.ids as string[]).map((id, i) => ({ id, serialNumber: (row.numbers as string[])[i] })),
              replayed: true,
            });
            continue;
          }
          await client.query('SAVEPOINT trigger_action');
          const result = await runAction(client, trigger, event, actor);
          if (!result.ok) await client.query('ROLLBACK TO SAVEPOINT trigger_action');
          else await client.query('RELEASE SAVEPOINT trigger_action');
          const outcome = result.ok
            ? result.serials.length > 0
              ? 'assigned'
              : 'skipped'
            : result.status === 409 && result.code === 'placeholder_already_resolved'
              ? 'skipped'
              : 'failed';
          const serials = result.ok ? result.serials : [];
          const detail = result.ok ? result.detail : result.detail;
          await client.query(
            'UPDATE serial_trigger_executions SET outcome = $3, serial_ids = $4, detail = $5 WHERE event_id = $1 AND trigger_id = $2',
            [event.eventId, trigger.id, outcome, serials.map((s) => s.id), detail],
          );
          await writeAudit(client, [
            {
              eventType: `trigger:${outcome}`,
              entityType: 'trigger',
              entityId: trigger.id,
              serialNumber: serials[0]?.serialNumber ?? null,
              partId: event.partId,
              performedBy: actor.subject,
              after: {
                eventId: event.eventId,
                eventType: event.eventType,
                action: trigger.action,
                serials: serials.map((s) => s.serialNumber),
                detail,
              },
              requestId: actor.requestId,
            },
          ]);
          executions.push({ triggerId: trigger.id, triggerName: trigger.name, outcome, serials, detail, replayed: false });
        }
        return executions;
      }),
    async statistics(partId) {
      const { rows } = await pool.query(
        `SELECT t.id, t.name, t.event_type, t.action, t.enabled,
                count(x.event_id)::int AS executions,
                count(*) FILTER (WHERE x.outcome = 'assigned')::int AS assigned,
                count(*) FILTER (WHERE x.outcome = 'skipped')::int AS skipped,
                count(*) FILTER (WHERE x.outcome = 'failed')::int AS failed,
                coalesce(sum(cardinality(x.serial_ids)), 0)::int AS serials_assigned,
                max(x.executed_at) AS last_executed_at
           FROM serial_assignment_triggers t LEFT JOIN serial_trigger_executions x ON x.trigger_id = t.id
          WHERE t.part_id = $1 GROUP BY t.id ORDER BY t.name`,
        [partId],
      );
      return rows.map((row) => ({
        triggerId: row.id,
        name: row.name,
        eventType: row.event_type,
        action: row.action,
        enabled: row.enabled,
        executions: row.executions,
        assigned: row.assigned,
        skipped: row.skipped,
        failed: row.failed,
        serialsAssigned: row.serials_assigned,
        lastExecutedAt: row.last_executed_at,
      }));
    },
  };

  async function runAction(
    client: pg.PoolClient,
    trigger: AssignmentTrigger,
    event: OperationEvent,
    actor: { subject: string; requestId: string },
  ): Promise<Result<{ serials: { id: string; serialNumber: string }[]; detail: string | null }>> {
    if (trigger.action === 'accept_vendor_serial') {
      if (!event.vendorSerialId) return { ok: true, serials: [], detail: 'the event names no vendorSerialId' };
      const accepted = await transitionVendorSerial(client, event.vendorSerialId, 'accept', null, actor);
      if (!accepted.ok) return accepted;
      return { ok: true, serials: [{ id: accepted.serial.id, serialNumber: accepted.serial.serialNumber }], detail: null };
    }
    const pattern = await findPattern(client, trigger.patternId as string);
    if (!pattern) return refuse(404, 'pattern_not_found', `no pattern ${trigger.patternId}`);
    if (trigger.action === 'resolve_placeholder') {
      if (!event.placeholderId) return { ok: true, serials: [], detail: 'the event names no placeholderId' };
      const resolved = await resolvePlaceholder(
        client,
        event.placeholderId,
        { kind: 'generate', patternId: pattern.id },
        { source: 'trigger', actor, ...options },
      );
      if (!resolved.ok) return resolved;
      const placeholder = resolved.placeholder;
      return {
        ok: true,
        serials: [{ id: placeholder.resolvedSerialId as string, serialNumber: placeholder.resolvedSerialNumber as string }],
        detail: `resolved ${placeholder.placeholderCode}`,
      };
    }
    if (event.quantity > options.maxCount)
      return refuse(422, 'quantity_too_large', `quantity ${event.quantity} is above SERIAL_MAX_GENERATE_COUNT (${options.maxCount})`);
    const generated = await generateSerials(client, { pattern, partId: event.partId, count: event.quantity, actor, ...options });
    if (!generated.ok) return generated;
    return { ok: true, serials: generated.serials.map((s) => ({ id: s.id, serialNumber: s.serialNumber })), detail: null };
  }
}
