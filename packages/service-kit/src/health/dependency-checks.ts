import type { ReadinessCheck } from './readiness-check.ts';

/** Anything with pg's `query` (a `pg.Pool` or `pg.Client`). */
export interface Queryable {
  query(sql: string): Promise<unknown>;
}

/** Anything with ioredis's `ping`. */
export interface Pingable {
  ping(): Promise<string>;
}

/** Readiness check running `SELECT 1` on a PostgreSQL pool. */
export function postgresCheck(pool: Queryable, options: Partial<Omit<ReadinessCheck, 'check'>> = {}): ReadinessCheck {
  return {
    name: 'postgres',
    componentType: 'datastore',
    ...options,
    async check() {
      await pool.query('SELECT 1');
    },
  };
}

/** Readiness check sending PING to Redis. */
export function redisCheck(redis: Pingable, options: Partial<Omit<ReadinessCheck, 'check'>> = {}): ReadinessCheck {
  return {
    name: 'redis',
    componentType: 'datastore',
    ...options,
    async check() {
      const reply = await redis.ping();
      if (reply !== 'PONG') return { status: 'fail', output: `unexpected PING reply ${JSON.stringify(reply)}` };
      return undefined;
    },
  };
}
