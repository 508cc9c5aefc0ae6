import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServiceLifecycle } from '../service-lifecycle.ts';
import { buildHealthResponse, HEALTH_CONTENT_TYPE, type ProbeKind } from './build-health-response.ts';
import type { ReadinessProbe } from './readiness-probe.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set false to exempt a route from load shedding (health and metrics routes are exempt). */
    shed?: boolean;
  }
}

/**
 * Which probe answers each path. `/health` and `/health/check` are readiness because that is
 * what deployment guides poll before sending traffic; the liveness aliases never touch I/O.
 */
export const HEALTH_ROUTES: Readonly<Record<string, ProbeKind>> = {
  '/health/live': 'live',
  '/health/liveness': 'live',
  '/health/ready': 'ready',
  '/health/readiness': 'ready',
  '/health': 'ready',
  '/health/check': 'ready',
  '/health/startup': 'startup',
};

export interface HealthRoutesOptions {
  serviceId: string;
  version?: string;
  releaseId?: string;
  lifecycle: ServiceLifecycle;
  probe: ReadinessProbe;
  /** Paths to serve; default `HEALTH_ROUTES`. */
  routes?: Readonly<Record<string, ProbeKind>>;
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  const startedAt = performance.now();
  const answer = async (kind: ProbeKind, reply: FastifyReply) => {
    const checking = kind === 'ready' && options.lifecycle.state === 'ready';
    const readings = checking ? await options.probe.read() : [];
    const response = buildHealthResponse({
      kind,
      serviceId: options.serviceId,
      version: options.version,
      releaseId: options.releaseId,
      lifecycle: options.lifecycle.state,
      hasStarted: options.lifecycle.hasStarted,
      readings,
      uptimeSeconds: (performance.now() - startedAt) / 1000,
      now: new Date(),
    });
    return reply
      .code(response.statusCode)
      .header('content-type', HEALTH_CONTENT_TYPE)
      .header('cache-control', 'no-store')
      .send(response.body);
  };
  for (const [path, kind] of Object.entries(options.routes ?? HEALTH_ROUTES)) {
    app.get(path, { config: { shed: false }, logLevel: 'warn' }, (_request, reply) => answer(kind, reply));
  }
}
