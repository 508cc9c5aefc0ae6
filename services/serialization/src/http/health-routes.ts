import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';

/** Time limit of each dependency ping of /health. */
export const HEALTH_PING_TIMEOUT_MS = 1500;

async function ping(fn: () => Promise<unknown>): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), HEALTH_PING_TIMEOUT_MS))),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch {
    return { ok: false, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The guide's health documents:
 *   GET /health            {status, timestamp, uptime, database, redis}: 200 "ok" when both answer
 *                          and the instance takes traffic; 503 otherwise ("degraded", "draining")
 *   GET /api/v1/health/db  {status, responseTime, poolConnections: {total, idle, active, waiting, max}}
 * The kit's /health/live and /health/ready stay as they are.
 */
export function registerGuideHealthRoutes(
  app: FastifyInstance,
  deps: { pool: pg.Pool; redis: Redis; poolMax: number; isServing: () => boolean },
): void {
  const startedAt = performance.now();
  app.get('/health', { config: { shed: false }, logLevel: 'warn' }, async (_request, reply) => {
    const [database, redis] = await Promise.all([ping(() => deps.pool.query('SELECT 1')), ping(() => deps.redis.ping())]);
    const serving = deps.isServing();
    const status = !serving ? 'draining' : database.ok && redis.ok ? 'ok' : 'degraded';
    return reply
      .code(status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status,
        timestamp: new Date().toISOString(),
        uptime: Math.round((performance.now() - startedAt) / 10) / 100,
        database: database.ok ? 'connected' : 'disconnected',
        redis: redis.ok ? 'connected' : 'disconnected',
      });
  });
  app.get('/api/v1/health/db', { config: { shed: false }, logLevel: 'warn' }, async (_request, reply) => {
    const database = await ping(() => deps.pool.query('SELECT 1'));
    const total = deps.pool.totalCount;
    const idle = deps.pool.idleCount;
    return reply
      .code(database.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: database.ok ? 'connected' : 'disconnected',
        responseTime: database.ms,
        poolConnections: { total, idle, active: total - idle, waiting: deps.pool.waitingCount, max: deps.poolMax },
      });
  });
}
