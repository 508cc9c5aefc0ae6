import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { CardMinter } from '../cards/card-minter.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';
import { runUniquenessCheck, type UniquenessRun } from '../ops/uniqueness-check.ts';

/**
 * GET /api/v1/admin/uniqueness: `validate:uniqueness` run by this instance, for the deploy's
 * validation (200 when uniqueness holds, 409 with the problems otherwise). Concurrent calls share
 * one run; pages are checked between other requests.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  options: { pool: pg.Pool; minter: CardMinter; bins: readonly SandboxBin[] },
): void {
  let running: Promise<UniquenessRun> | undefined;
  app.get('/api/v1/admin/uniqueness', { config: { shed: false } }, async (_request, reply) => {
    running ??= runUniquenessCheck(options.pool, options.minter, options.bins, { pageSize: 20_000 }).finally(() => {
      running = undefined;
    });
    const run = await running;
    return reply.code(run.ok ? 200 : 409).send(run);
  });
}
