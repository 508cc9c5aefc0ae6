import type { DatabaseSync } from 'node:sqlite';
import { immediate, openSqliteFile } from '../shared/sqlite-file.ts';

/** The config a deployment was submitted with (see DeploymentStore.submittedConfig). */
export interface SubmittedConfig {
  configFile: string;
  configText: string;
  /** The environment's overlay merged over configFile: its name, path and text. */
  environment?: { name: string; file: string; text: string };
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS releases (
     service TEXT NOT NULL,
     name TEXT NOT NULL,
     dir TEXT NOT NULL,
     specs_json TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_good_at INTEGER,
     PRIMARY KEY (service, name)
   )`,
  `CREATE TABLE IF NOT EXISTS deployments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     service TEXT NOT NULL,
     kind TEXT NOT NULL,
     from_release TEXT,
     to_release TEXT NOT NULL,
     actor TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     state TEXT NOT NULL,
     reason TEXT,
     rolled_back_to TEXT,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     facts_json TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE TABLE IF NOT EXISTS steps (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     deployment_id INTEGER NOT NULL REFERENCES deployments(id),
     name TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     outcome TEXT NOT NULL,
     reason TEXT,
     values_json TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE TABLE IF NOT EXISTS events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     deployment_id INTEGER NOT NULL REFERENCES deployments(id),
     at INTEGER NOT NULL,
     type TEXT NOT NULL,
     data_json TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE TABLE IF NOT EXISTS locks (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     deployment_id INTEGER,
     acquired_at INTEGER NOT NULL,
     heartbeat_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   )`,
];

/** running → succeeded | failed | rolled_back | interrupted (the process running it died). */
export type DeploymentState = 'running' | 'succeeded' | 'failed' | 'rolled_back' | 'interrupted';
/** interrupted: the controller running the step stopped before it ended (a resumed deployment runs it again). */
export type StepOutcome = 'running' | 'ok' | 'failed' | 'skipped' | 'interrupted';

export interface ReleaseRecord {
  service: string;
  name: string;
  dir: string;
  /** The instance specs of each process type as resolved when the release was first deployed. */
  specs: unknown;
  createdAt: number;
  lastGoodAt: number | null;
}

export interface StepRecord {
  id: number;
  name: string;
  startedAt: number;
  endedAt: number | null;
  outcome: StepOutcome;
  reason: string | null;
  values: Record<string, unknown>;
}

export interface EventRecord {
  id: number;
  at: number;
  type: string;
  data: Record<string, unknown>;
}

export interface DeploymentRecord {
  id: number;
  service: string;
  kind: 'deploy' | 'rollback';
  fromRelease: string | null;
  toRelease: string;
  actor: string;
  host: string;
  pid: number;
  state: DeploymentState;
  reason: string | null;
  rolledBackTo: string | null;
  startedAt: number;
  endedAt: number | null;
  facts: Record<string, unknown>;
  steps: StepRecord[];
  events: EventRecord[];
}

export interface LockRow {
  name: string;
  owner: string;
  host: string;
  pid: number;
  deploymentId: number | null;
  acquiredAt: number;
  heartbeatAt: number;
  expiresAt: number;
}

/** The controller's records: releases, deployments with their steps and events, and deploy locks. */
export class DeploymentStore {
  readonly db: DatabaseSync;
  /**
   * Told of every event this process records and of every deployment it ends, after the write (a
   * dashboard pushes the event at once, a follow stream sends it and the end without waiting for its poll).
   */
  readonly #eventListeners = new Set<(deploymentId: number) => void>();

  constructor(file: string) {
    this.db = openSqliteFile(file, SCHEMA);
    addColumn(this.db, 'deployments', 'submission_json', 'TEXT');
  }

  /** Keeps what a controller needs to resume the deployment (internal state, never printed). */
  setSubmission(id: number, submission: Record<string, unknown>): void {
    this.db.prepare('UPDATE deployments SET submission_json = ? WHERE id = ?').run(JSON.stringify(submission), id);
  }

  /**
   * What the controller needs to run the deployment again after a restart (null for one run in a
   * CLI process). Kept apart from the record, which is printed: it holds the config snapshot.
   */
  submission(id: number): Record<string, unknown> | null {
    const row = this.db.prepare('SELECT submission_json FROM deployments WHERE id = ?').get(id);
    return row?.submission_json ? (JSON.parse(row.submission_json as string) as Record<string, unknown>) : null;
  }

  /**
   * The config snapshot of a deployment's submission: cutover.yml's path and text and, for an
   * environment (--env), its overlay. Whoever validates it again (tasks, notifications, the
   * dashboard, a rollback) gets the merged config the deployment ran with, never the base file alone.
   */
  submittedConfig(id: number): SubmittedConfig | null {
    const submission = this.submission(id);
    if (!submission || typeof submission.configFile !== 'string' || typeof submission.configText !== 'string') return null;
    const environment = submission.environment as SubmittedConfig['environment'];
    return { configFile: submission.configFile, configText: submission.configText, ...(environment && { environment }) };
  }

  /** A resumed deployment now runs in this process. */
  setRunner(id: number, host: string, pid: number): void {
    this.db.prepare('UPDATE deployments SET host = ?, pid = ? WHERE id = ?').run(host, pid, id);
  }

  /** Running deployments a controller submitted (resumable), oldest first. */
  resumableDeployments(): DeploymentRecord[] {
    return this.db
      .prepare(
        `SELECT * FROM deployments WHERE state = 'running' AND submission_json IS NOT NULL
           AND json_extract(submission_json, '$.inProcess') IS NOT 1 ORDER BY id`,
      )
      .all()
      .map((row) => this.hydrate(row));
  }

  /** Closes the steps left running by a process that stopped; returns their names. */
  interruptOpenSteps(deploymentId: number, reason: string): string[] {
    const open = this.db.prepare(`SELECT id, name FROM steps WHERE deployment_id = ? AND outcome = 'running'`).all(deploymentId);
    this.db
      .prepare(`UPDATE steps SET ended_at = ?, outcome = 'interrupted', reason = ? WHERE deployment_id = ? AND outcome = 'running'`)
      .run(Date.now(), reason, deploymentId);
    return open.map((row) => row.name as string);
  }

  /** Events of a deployment with an id above afterId, oldest first (for following it live). */
  eventsAfter(deploymentId: number, afterId: number, limit = 500): EventRecord[] {
    return this.db
      .prepare('SELECT id, at, type, data_json FROM events WHERE deployment_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(deploymentId, afterId, limit)
      .map(toEvent);
  }

  step(stepId: number): StepRecord | undefined {
    const row = this.db.prepare('SELECT * FROM steps WHERE id = ?').get(stepId);
    return row ? toStep(row) : undefined;
  }

  /** The steps of a deployment, oldest first. */
  steps(deploymentId: number): StepRecord[] {
    return this.db.prepare('SELECT * FROM steps WHERE deployment_id = ? ORDER BY id').all(deploymentId).map(toStep);
  }

  /** The state of one deployment without its steps and events (cheap, for polling). */
  deploymentState(id: number): DeploymentState | undefined {
    return this.db.prepare('SELECT state FROM deployments WHERE id = ?').get(id)?.state as DeploymentState | undefined;
  }

  /** The newest deployment of any service, or of one. */
  latestDeployment(service?: string): DeploymentRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM deployments WHERE (? IS NULL OR service = ?) ORDER BY id DESC LIMIT 1')
      .get(service ?? null, service ?? null);
    return row ? this.hydrate(row) : undefined;
  }

  upsertRelease(release: Omit<ReleaseRecord, 'createdAt' | 'lastGoodAt'>): void {
    this.db
      .prepare(
        `INSERT INTO releases (service, name, dir, specs_json, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(service, name) DO UPDATE SET dir = excluded.dir, specs_json = excluded.specs_json`,
      )
      .run(release.service, release.name, release.dir, JSON.stringify(release.specs), Date.now());
  }

  markReleaseGood(service: string, name: string): void {
    this.db.prepare('UPDATE releases SET last_good_at = ? WHERE service = ? AND name = ?').run(Date.now(), service, name);
  }

  release(service: string, name: string): ReleaseRecord | undefined {
    const row = this.db.prepare('SELECT * FROM releases WHERE service = ? AND name = ?').get(service, name);
    return row ? toRelease(row) : undefined;
  }

  releases(service: string): ReleaseRecord[] {
    return this.db.prepare('SELECT * FROM releases WHERE service = ? ORDER BY created_at DESC').all(service).map(toRelease);
  }

  createDeployment(input: Pick<DeploymentRecord, 'service' | 'kind' | 'fromRelease' | 'toRelease' | 'actor' | 'host' | 'pid'>): number {
    const result = this.db
      .prepare(
        `INSERT INTO deployments (service, kind, from_release, to_release, actor, host, pid, state, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
      )
      .run(input.service, input.kind, input.fromRelease, input.toRelease, input.actor, input.host, input.pid, Date.now());
    return Number(result.lastInsertRowid);
  }

  finishDeployment(
    id: number,
    state: Exclude<DeploymentState, 'running'>,
    reason: string | null,
    rolledBackTo: string | null = null,
  ): void {
    this.db
      .prepare('UPDATE deployments SET state = ?, reason = ?, rolled_back_to = ?, ended_at = ? WHERE id = ?')
      .run(state, reason, rolledBackTo, Date.now(), id);
    this.#tell(id);
  }

  /** Merges facts (backup id, restore command, timings...) into the deployment record. */
  addFacts(id: number, facts: Record<string, unknown>): void {
    immediate(this.db, () => {
      const row = this.db.prepare('SELECT facts_json FROM deployments WHERE id = ?').get(id);
      const merged = { ...(JSON.parse((row?.facts_json as string) ?? '{}') as object), ...facts };
      this.db.prepare('UPDATE deployments SET facts_json = ? WHERE id = ?').run(JSON.stringify(merged), id);
    });
  }

  startStep(deploymentId: number, name: string): number {
    const result = this.db
      .prepare(`INSERT INTO steps (deployment_id, name, started_at, outcome) VALUES (?, ?, ?, 'running')`)
      .run(deploymentId, name, Date.now());
    return Number(result.lastInsertRowid);
  }

  endStep(stepId: number, outcome: Exclude<StepOutcome, 'running'>, values: Record<string, unknown>, reason?: string): void {
    this.db
      .prepare('UPDATE steps SET ended_at = ?, outcome = ?, values_json = ?, reason = ? WHERE id = ?')
      .run(Date.now(), outcome, JSON.stringify(values), reason ?? null, stepId);
  }

  addEvent(deploymentId: number, type: string, data: Record<string, unknown> = {}): void {
    this.db
      .prepare('INSERT INTO events (deployment_id, at, type, data_json) VALUES (?, ?, ?, ?)')
      .run(deploymentId, Date.now(), type, JSON.stringify(data));
    this.#tell(deploymentId);
  }

  #tell(deploymentId: number): void {
    for (const listener of this.#eventListeners) {
      try {
        listener(deploymentId);
      } catch {
        // A listener's failure never fails the deployment that recorded the event.
      }
    }
  }

  /** Listens for events and ends recorded through this store object (other processes' are found by polling). */
  onEventAdded(listener: (deploymentId: number) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Events of every deployment with an id above afterId, oldest first, with their deployment id. */
  eventsSince(afterId: number, limit = 500): (EventRecord & { deploymentId: number })[] {
    return this.db
      .prepare('SELECT id, deployment_id, at, type, data_json FROM events WHERE id > ? ORDER BY id LIMIT ?')
      .all(afterId, limit)
      .map((row) => ({ ...toEvent(row), deploymentId: row.deployment_id as number }));
  }

  /** The id of the newest event (0 when none): where a live feed starts. */
  lastEventId(): number {
    return Number(this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get()?.id ?? 0);
  }

  /** Every service with a deployment on record. */
  services(): string[] {
    return this.db
      .prepare('SELECT DISTINCT service FROM deployments ORDER BY service')
      .all()
      .map((row) => row.service as string);
  }

  /** The locks held now (a lock row past its expiry is free). */
  locks(): LockRow[] {
    return this.db.prepare('SELECT * FROM locks WHERE expires_at > ?').all(Date.now()).map(toLockRow);
  }

  deployment(id: number): DeploymentRecord | undefined {
    const row = this.db.prepare('SELECT * FROM deployments WHERE id = ?').get(id);
    return row ? this.hydrate(row) : undefined;
  }

  deployments(service: string, limit = 20): DeploymentRecord[] {
    return this.db
      .prepare('SELECT * FROM deployments WHERE service = ? ORDER BY id DESC LIMIT ?')
      .all(service, limit)
      .map((row) => this.hydrate(row));
  }

  runningDeployments(service: string): DeploymentRecord[] {
    return this.db
      .prepare(`SELECT * FROM deployments WHERE service = ? AND state = 'running' ORDER BY id`)
      .all(service)
      .map((row) => this.hydrate(row));
  }

  /** The release of the newest successful deployment, optionally skipping one release name. */
  lastGoodRelease(service: string, except?: string): string | null {
    const row = this.db
      .prepare(
        `SELECT to_release FROM deployments WHERE service = ? AND state = 'succeeded' AND (? IS NULL OR to_release <> ?)
         ORDER BY id DESC LIMIT 1`,
      )
      .get(service, except ?? null, except ?? null);
    return (row?.to_release as string | undefined) ?? null;
  }

  private hydrate(row: Record<string, unknown>): DeploymentRecord {
    const id = row.id as number;
    return {
      id,
      service: row.service as string,
      kind: row.kind as 'deploy' | 'rollback',
      fromRelease: (row.from_release as string | null) ?? null,
      toRelease: row.to_release as string,
      actor: row.actor as string,
      host: row.host as string,
      pid: row.pid as number,
      state: row.state as DeploymentState,
      reason: (row.reason as string | null) ?? null,
      rolledBackTo: (row.rolled_back_to as string | null) ?? null,
      startedAt: row.started_at as number,
      endedAt: (row.ended_at as number | null) ?? null,
      facts: JSON.parse(row.facts_json as string) as Record<string, unknown>,
      steps: this.steps(id),
      events: this.eventsAfter(id, 0, -1),
    };
  }

  /**
   * Deletes the oldest finished deployments of a service beyond the newest `keep`, with their steps,
   * events and signals; a running one and the newest succeeded one (the rollback target) always stay.
   * Returns how many deployments were deleted.
   */
  pruneDeployments(service: string, keep: number): number {
    return immediate(this.db, () => {
      const doomed = this.db
        .prepare(
          `SELECT id FROM deployments WHERE service = ? AND state <> 'running'
             AND id NOT IN (SELECT id FROM deployments WHERE service = ? ORDER BY id DESC LIMIT ?)
             AND id IS NOT (SELECT MAX(id) FROM deployments WHERE service = ? AND state = 'succeeded')`,
        )
        .all(service, service, keep, service)
        .map((row) => row.id as number);
      if (doomed.length === 0) return 0;
      const list = doomed.join(',');
      const hasSignals = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'signals'`).get() !== undefined;
      this.db.exec(`DELETE FROM steps WHERE deployment_id IN (${list})`);
      this.db.exec(`DELETE FROM events WHERE deployment_id IN (${list})`);
      if (hasSignals) this.db.exec(`DELETE FROM signals WHERE deployment_id IN (${list})`);
      this.db.exec(`DELETE FROM deployments WHERE id IN (${list})`);
      return doomed.length;
    });
  }

  close(): void {
    this.db.close();
  }
}

/** A row of the locks table (the deploy lock's lease). */
export function toLockRow(row: Record<string, unknown>): LockRow {
  return {
    name: row.name as string,
    owner: row.owner as string,
    host: row.host as string,
    pid: row.pid as number,
    deploymentId: (row.deployment_id as number | null) ?? null,
    acquiredAt: row.acquired_at as number,
    heartbeatAt: row.heartbeat_at as number,
    expiresAt: row.expires_at as number,
  };
}

function toStep(s: Record<string, unknown>): StepRecord {
  return {
    id: s.id as number,
    name: s.name as string,
    startedAt: s.started_at as number,
    endedAt: (s.ended_at as number | null) ?? null,
    outcome: s.outcome as StepOutcome,
    reason: (s.reason as string | null) ?? null,
    values: JSON.parse(s.values_json as string) as Record<string, unknown>,
  };
}

function toEvent(e: Record<string, unknown>): EventRecord {
  return {
    id: e.id as number,
    at: e.at as number,
    type: e.type as string,
    data: JSON.parse(e.data_json as string) as Record<string, unknown>,
  };
}

/** Adds a column to a table created by an earlier version (CREATE TABLE IF NOT EXISTS keeps the old shape). */
function addColumn(db: DatabaseSync, table: string, column: string, type: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

function toRelease(row: Record<string, unknown>): ReleaseRecord {
  return {
    service: row.service as string,
    name: row.name as string,
    dir: row.dir as string,
    specs: JSON.parse(row.specs_json as string),
    createdAt: row.created_at as number,
    lastGoodAt: (row.last_good_at as number | null) ?? null,
  };
}
