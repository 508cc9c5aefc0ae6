import type { FastifyInstance } from 'fastify';
import { CutoverError } from '../errors/cutover-error.ts';
import type { DashboardContext } from './dashboard-context.ts';
import { dashboardService } from './dashboard-service.ts';

/** Text exposition content type, as the agent's /metrics answers. */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * POST /v1/dashboard { host?, port? }: starts the dashboard (loopback unless a host is given) and
 * answers `{ url, host, port }`. GET /v1/metrics: cutover's own metrics (the agent's /metrics
 * appends them). Both on the controller's socket, with the admin token.
 */
export const dashboardRoutes = {
  name: 'dashboard',
  register(app: FastifyInstance, context: DashboardContext) {
    app.post<{ Body: { host?: unknown; port?: unknown } | undefined }>('/v1/dashboard', async (request) => {
      const body = request.body ?? {};
      const port = body.port === undefined ? undefined : Number(body.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
        throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--port must be a port number (got ${String(body.port)})`, {
          hint: '0 picks a free port',
        });
      const host = typeof body.host === 'string' && body.host ? body.host : undefined;
      return dashboardService(context).open({ host, port });
    });
    app.get('/v1/metrics', async (_request, reply) => {
      const text = await dashboardService(context).scrape();
      return reply.header('content-type', PROMETHEUS_CONTENT_TYPE).send(text);
    });
  },
};
