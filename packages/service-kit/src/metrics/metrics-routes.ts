import type { FastifyInstance } from 'fastify';
import { type ServiceMetrics, UNMATCHED_ROUTE } from './service-metrics.ts';

/** Exposition path. */
export const METRICS_PATH = '/metrics';

/**
 * Count and time every response by route template (`/payments/:id`, never the raw URL), and
 * serve the registry at `METRICS_PATH`.
 */
export function registerMetricsRoutes(app: FastifyInstance, metrics: ServiceMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    metrics.httpRequestsTotal.inc(labels);
    metrics.httpRequestDurationSeconds.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  app.get(METRICS_PATH, { config: { shed: false }, logLevel: 'warn' }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
