import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isPidAlive } from '../shared/process-group.ts';
import { immediate } from '../shared/sqlite-file.ts';
import { type DeploymentStore, type LockRow, toLockRow } from '../store/deployment-store.ts';

/** A lease lives this long without a heartbeat. */
export const DEFAULT_LOCK_TTL_MS = 15_000;
/** Heartbeats renew the lease this often (a third of the TTL, so two can be missed). */
export const DEFAULT_LOCK_HEARTBEAT_MS = 5_000;
/** Hooks and child commands inherit the lock through this variable (the lock is re-entrant for them). */
export const LOCK_OWNER_ENV = 'CUTOVER_LOCK_OWNER';

export type LockAttempt = { acquired: true; lease: DeployLease } | { acquired: false; holder: LockRow };

export interface DeployLease {
  name: string;
  owner: string;
  /** True when the lock was already held by a parent cutover process (a hook): release() leaves it held. */
  inherited: boolean;
  /** Whether this owner still holds an unexpired lease (the fencing check before every side effect). */
  held(): boolean;
  release(): void;
}

/**
 * The deploy lock: a lease row with owner, host, pid, heartbeat and expiry. Two deploys never
 * interleave; a crashed holder never wedges the next one, because its lease expires without
 * heartbeats and, on the same host, a dead holder pid frees it at once.
 */
export class DeployLock {
  private readonly store: Pick<DeploymentStore, 'db'>;
  private readonly options: { ttlMs?: number; heartbeatMs?: number };

  constructor(store: Pick<DeploymentStore, 'db'>, options: { ttlMs?: number; heartbeatMs?: number } = {}) {
    this.store = store;
    this.options = options;
  }

  acquire(name: string, options: { deploymentId?: number; owner?: string } = {}): LockAttempt {
    const ttlMs = this.options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    const inheritedOwner = process.env[LOCK_OWNER_ENV];
    const owner = options.owner ?? randomUUID();
    const now = Date.now();
    const outcome = immediate(this.store.db, (): LockAttempt | 'inherited' => {
      const holder = this.holder(name);
      if (holder && inheritedOwner && holder.owner === inheritedOwner) return 'inherited';
      if (holder && options.owner !== undefined && holder.owner === options.owner && !isStale(holder, now)) {
        // The holder names its deployment once it exists: without it, other commands would take the running deployment for a dead one.
        this.store.db
          .prepare('UPDATE locks SET deployment_id = ? WHERE name = ? AND owner = ?')
          .run(options.deploymentId ?? null, name, owner);
        return { acquired: true, lease: { name, owner, inherited: true, held: () => this.holds(name, owner), release() {} } };
      }
      if (holder && !isStale(holder, now)) return { acquired: false, holder };
      this.store.db
        .prepare(
          `INSERT INTO locks (name, owner, host, pid, deployment_id, acquired_at, heartbeat_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
             deployment_id = excluded.deployment_id, acquired_at = excluded.acquired_at,
             heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
        )
        .run(name, owner, hostname(), process.pid, options.deploymentId ?? null, now, now, now + ttlMs);
      return { acquired: true, lease: this.lease(name, owner, ttlMs) };
    });
    if (outcome === 'inherited') {
      const owner = inheritedOwner as string;
      return { acquired: true, lease: { name, owner, inherited: true, held: () => this.holds(name, owner), release() {} } };
    }
    return outcome;
  }

  /** The current holder, if any (stale or not). */
  holder(name: string): LockRow | undefined {
    const row = this.store.db.prepare('SELECT * FROM locks WHERE name = ?').get(name);
    return row ? toLockRow(row) : undefined;
  }

  /** Whether `owner` holds the lock now with a lease that has not expired. */
  holds(name: string, owner: string): boolean {
    const holder = this.holder(name);
    return holder !== undefined && holder.owner === owner && holder.expiresAt > Date.now();
  }

  isFree(name: string): boolean {
    const holder = this.holder(name);
    return !holder || isStale(holder, Date.now());
  }

  private lease(name: string, owner: string, ttlMs: number): DeployLease {
    const heartbeat = setInterval(() => {
      const now = Date.now();
      this.store.db
        .prepare('UPDATE locks SET heartbeat_at = ?, expires_at = ? WHERE name = ? AND owner = ?')
        .run(now, now + ttlMs, name, owner);
    }, this.options.heartbeatMs ?? DEFAULT_LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    let released = false;
    return {
      name,
      owner,
      inherited: false,
      held: () => !released && this.holds(name, owner),
      release: () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        this.store.db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?').run(name, owner);
      },
    };
  }
}

/** A lease is stale when it expired, or when its holder ran on this host and that process is gone. */
export function isStale(holder: LockRow, nowMs: number): boolean {
  if (holder.expiresAt <= nowMs) return true;
  return holder.host === hostname() && !isPidAlive(holder.pid);
}
