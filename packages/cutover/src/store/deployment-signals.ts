import type { DatabaseSync } from 'node:sqlite';

const SCHEMA = `CREATE TABLE IF NOT EXISTS signals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  deployment_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  handled_at INTEGER,
  outcome TEXT,
  note TEXT
)`;

/** How often a sender reads the signal back while it waits for the answer (the file is shared with another process). */
const ANSWER_POLL_MS = 50;

/** What a human asks of a running canary or blue-green rollout (promote-full: skip every remaining step). */
export type SignalKind = 'abort' | 'promote' | 'promote-full';
/** applied: acted on; duplicate: the same request was already in effect; ignored: it could no longer apply. */
export type SignalOutcome = 'applied' | 'duplicate' | 'ignored';

export interface SignalRecord {
  id: number;
  deploymentId: number;
  kind: SignalKind;
  actor: string;
  sentAt: number;
  handledAt: number | null;
  outcome: SignalOutcome | null;
  /** Why it was ignored, or what it did. */
  note: string | null;
}

/**
 * Requests from `cutover promote` and `cutover abort` to a deployment that runs in another process.
 * They share the controller's SQLite file (deployments.db); the running strategy polls for new
 * rows and writes back what it did with each, which the sending command waits for.
 */
export class DeploymentSignals {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
  }

  send(deploymentId: number, kind: SignalKind, actor: string): number {
    const result = this.#db
      .prepare('INSERT INTO signals (deployment_id, kind, actor, sent_at) VALUES (?, ?, ?, ?)')
      .run(deploymentId, kind, actor, Date.now());
    return Number(result.lastInsertRowid);
  }

  /** Signals of a deployment with an id above afterId, oldest first. */
  after(deploymentId: number, afterId: number): SignalRecord[] {
    return this.#db
      .prepare('SELECT * FROM signals WHERE deployment_id = ? AND id > ? ORDER BY id')
      .all(deploymentId, afterId)
      .map(toSignal);
  }

  get(id: number): SignalRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM signals WHERE id = ?').get(id);
    return row ? toSignal(row) : undefined;
  }

  /**
   * Sends a signal and waits until the running deployment has answered it, up to `timeoutMs`;
   * resolves with the signal as it stands then (`handledAt` null: no answer in time).
   */
  async sendAndWait(deploymentId: number, kind: SignalKind, actor: string, timeoutMs: number): Promise<SignalRecord> {
    const id = this.send(deploymentId, kind, actor);
    const deadline = Date.now() + timeoutMs;
    let signal = this.get(id) as SignalRecord;
    while (signal.handledAt === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, ANSWER_POLL_MS));
      signal = this.get(id) as SignalRecord;
    }
    return signal;
  }

  /** Records what became of a signal; the first answer stands. */
  handle(id: number, outcome: SignalOutcome, note: string): void {
    this.#db
      .prepare('UPDATE signals SET handled_at = ?, outcome = ?, note = ? WHERE id = ? AND handled_at IS NULL')
      .run(Date.now(), outcome, note, id);
  }

  /** Answers every signal of the deployment still unanswered (the rollout is over). */
  handleAll(deploymentId: number, outcome: SignalOutcome, note: string): number {
    const result = this.#db
      .prepare('UPDATE signals SET handled_at = ?, outcome = ?, note = ? WHERE deployment_id = ? AND handled_at IS NULL')
      .run(Date.now(), outcome, note, deploymentId);
    return Number(result.changes);
  }
}

function toSignal(row: Record<string, unknown>): SignalRecord {
  return {
    id: row.id as number,
    deploymentId: row.deployment_id as number,
    kind: row.kind as SignalKind,
    actor: row.actor as string,
    sentAt: row.sent_at as number,
    handledAt: (row.handled_at as number | null) ?? null,
    outcome: (row.outcome as SignalOutcome | null) ?? null,
    note: (row.note as string | null) ?? null,
  };
}
