import type { DatabaseSync } from 'node:sqlite';
import { openSqliteFile } from '../shared/sqlite-file.ts';
import type { RouteSpec } from './proxy/proxy-server.ts';
import type { InstanceSpec } from './supervisor/process-supervisor.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS routes (
     service TEXT PRIMARY KEY,
     spec_json TEXT NOT NULL,
     weights_json TEXT
   )`,
  `CREATE TABLE IF NOT EXISTS instances (
     id TEXT PRIMARY KEY,
     service TEXT NOT NULL,
     release TEXT NOT NULL,
     process_type TEXT NOT NULL,
     spec_json TEXT NOT NULL,
     port INTEGER,
     pid INTEGER,
     routed INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL
   )`,
];

/** Columns added after the first release of the schema: added to older files on open. */
const ADDED_COLUMNS = [{ table: 'instances', column: 'pid_start_ticks', type: 'INTEGER' }];

export interface StoredInstance {
  spec: InstanceSpec;
  port: number | null;
  pid: number | null;
  /** The kernel start time of that pid when recorded (see process-identity.ts); null when unknown. */
  pidStartTicks: number | null;
  /** Whether the proxy should route to it whenever it is healthy. */
  routed: boolean;
}

export interface StoredRoute {
  spec: RouteSpec;
  weights: Record<string, number> | null;
}

/** The agent's own state: routes and the instances it runs. Restored when the agent restarts. */
export class AgentStateStore {
  private readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = openSqliteFile(file, SCHEMA);
    for (const { table, column, type } of ADDED_COLUMNS) {
      const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!columns.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
  }

  saveRoute(spec: RouteSpec): void {
    this.db
      .prepare('INSERT INTO routes (service, spec_json) VALUES (?, ?) ON CONFLICT(service) DO UPDATE SET spec_json = excluded.spec_json')
      .run(spec.service, JSON.stringify(spec));
  }

  saveWeights(service: string, weights: Record<string, number> | null): void {
    this.db.prepare('UPDATE routes SET weights_json = ? WHERE service = ?').run(weights ? JSON.stringify(weights) : null, service);
  }

  deleteRoute(service: string): void {
    this.db.prepare('DELETE FROM routes WHERE service = ?').run(service);
  }

  routes(): StoredRoute[] {
    return this.db
      .prepare('SELECT spec_json, weights_json FROM routes ORDER BY service')
      .all()
      .map((row) => ({
        spec: JSON.parse(row.spec_json as string) as RouteSpec,
        weights: row.weights_json ? (JSON.parse(row.weights_json as string) as Record<string, number>) : null,
      }));
  }

  saveInstance(instance: StoredInstance): void {
    const { spec } = instance;
    this.db
      .prepare(
        `INSERT INTO instances (id, service, release, process_type, spec_json, port, pid, pid_start_ticks, routed, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET port = excluded.port, pid = excluded.pid, pid_start_ticks = excluded.pid_start_ticks,
           routed = excluded.routed`,
      )
      .run(
        spec.id,
        spec.service,
        spec.release,
        spec.processType,
        JSON.stringify(spec),
        instance.port,
        instance.pid,
        instance.pidStartTicks,
        instance.routed ? 1 : 0,
        Date.now(),
      );
  }

  setRouted(id: string, routed: boolean): void {
    this.db.prepare('UPDATE instances SET routed = ? WHERE id = ?').run(routed ? 1 : 0, id);
  }

  /** The process now running an instance: every spawn (first start, restart, restore) records it. */
  setProcess(id: string, pid: number | null, pidStartTicks: number | null, port: number | null): void {
    this.db.prepare('UPDATE instances SET pid = ?, pid_start_ticks = ?, port = ? WHERE id = ?').run(pid, pidStartTicks, port, id);
  }

  deleteInstance(id: string): void {
    this.db.prepare('DELETE FROM instances WHERE id = ?').run(id);
  }

  instances(): StoredInstance[] {
    return this.db
      .prepare('SELECT spec_json, port, pid, pid_start_ticks, routed FROM instances ORDER BY created_at, id')
      .all()
      .map((row) => ({
        spec: JSON.parse(row.spec_json as string) as InstanceSpec,
        port: (row.port as number | null) ?? null,
        pid: (row.pid as number | null) ?? null,
        pidStartTicks: (row.pid_start_ticks as number | null) ?? null,
        routed: row.routed === 1,
      }));
  }

  close(): void {
    this.db.close();
  }
}
