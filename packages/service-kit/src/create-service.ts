import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import './auth/principal.ts';
import { type Bulkhead, type BulkheadOptions, createBulkhead } from './bulkhead/bulkhead.ts';
import {
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_SHUTDOWN_GRACE_PERIOD_MS,
  DEFAULT_SHUTDOWN_SIGNALS,
  installSignalHandlers,
} from './graceful-shutdown.ts';
import type { ProbeKind } from './health/build-health-response.ts';
import { registerHealthRoutes } from './health/health-routes.ts';
import type { ReadinessCheck } from './health/readiness-check.ts';
import { createReadinessProbe, type ReadinessProbe } from './health/readiness-probe.ts';
import { sendProblem } from './http/send-problem.ts';
import { type IdempotencyOptions, registerIdempotency } from './idempotency/idempotency-plugin.ts';
import { startIdempotencyPurger } from './idempotency/idempotency-purger.ts';
import { createLogger } from './logging/create-logger.ts';
import { registerMetricsRoutes } from './metrics/metrics-routes.ts';
import { createServiceMetrics, type ServiceMetrics } from './metrics/service-metrics.ts';
import { ServiceKitError } from './service-kit-error.ts';
import { ServiceLifecycle } from './service-lifecycle.ts';
import { createLoadShedder, type LoadShedder, type LoadShedderOptions } from './shedding/load-shedder.ts';
import { registerSheddingHook } from './shedding/shedding-hook.ts';

/** Request id header: taken from the caller when present, generated otherwise, echoed back. */
export const REQUEST_ID_HEADER = 'x-request-id';

export interface ShutdownOptions {
  /** From the signal to a forced exit 1; default `DEFAULT_SHUTDOWN_GRACE_PERIOD_MS` (10000). */
  gracePeriodMs?: number;
  /** Readiness fails this long before the listener closes; default `DEFAULT_SHUTDOWN_DELAY_MS` (3000). Must be below the grace period. */
  delayMs?: number;
  /** Signals that start a shutdown; default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Install signal handlers in `start()`; default true (set false for several services in one test process). */
  handleSignals?: boolean;
  /** Called after a signal-driven shutdown; default `process.exit`. */
  exit?: (code: number) => void;
}

export interface CreateServiceOptions {
  /** Service name: `serviceId` in health, `service` label in metrics, `name` in logs. */
  name: string;
  /** Public version (`version` in health documents). */
  version?: string;
  /** Release id (`releaseId` in health documents), e.g. what the deployer sets. */
  releaseId?: string;
  /** Use this logger instead of `createLogger({ name, level, destination })`. */
  logger?: Logger;
  /** Default 'info'. */
  logLevel?: string;
  /** Where log lines go; default stdout. */
  logDestination?: { write(chunk: string): unknown };
  /** Dependency checks behind `/health/ready`. More can be added with `service.readiness.add`. */
  readinessChecks?: readonly ReadinessCheck[];
  /** Reuse readiness readings this long; default 1000 ms. */
  readinessCacheTtlMs?: number;
  /** Load-shedding thresholds; all off unless set. */
  shedding?: LoadShedderOptions;
  shutdown?: ShutdownOptions;
  /** Run after the listener closed and requests drained, in reverse order (close pools here). */
  onClose?: ReadonlyArray<() => Promise<void> | void>;
  /** Enable Idempotency-Key handling for routes with `config: { idempotency: true }`. */
  idempotency?: Omit<IdempotencyOptions, 'metrics'> & { purgeIntervalMs?: number };
  /** Collect prom-client default process metrics; default true. */
  defaultMetrics?: boolean;
  /** Largest request body; default Fastify's 1 MiB. */
  bodyLimitBytes?: number;
  /** Trust X-Forwarded-* from this proxy (Fastify `trustProxy`); default false. */
  trustProxy?: boolean | string | string[];
  /** Health paths and the probe each answers; default `HEALTH_ROUTES` (leave one out to serve it yourself). */
  healthRoutes?: Readonly<Record<string, ProbeKind>>;
}

export interface ListenOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface Service {
  readonly name: string;
  readonly app: FastifyInstance;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly lifecycle: ServiceLifecycle;
  readonly readiness: ReadinessProbe;
  readonly shedder: LoadShedder;
  /** Listen, start shedding samples, turn ready, and (by default) handle SIGTERM/SIGINT. */
  start(listen?: ListenOptions): Promise<{ port: number; host: string; url: string }>;
  /** Fail readiness, wait the shutdown delay, close the listener, drain requests, run onClose hooks. */
  stop(reason?: string): Promise<void>;
  /** Register a close hook (e.g. `() => pool.end()`). */
  onClose(fn: () => Promise<void> | void): void;
  /** A bulkhead whose rejections and occupancy appear in this service's metrics. */
  bulkhead(options: Omit<BulkheadOptions, 'metrics'>): Bulkhead;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Fastify app with everything the reference services share: health probes, /metrics, request
 * metrics by route, scrubbed structured logs, load shedding, optional idempotency, problem+json
 * errors and readiness-first graceful shutdown. Add routes on `service.app`, then `start()`.
 */
export function createService(options: CreateServiceOptions): Service {
  const gracePeriodMs = options.shutdown?.gracePeriodMs ?? DEFAULT_SHUTDOWN_GRACE_PERIOD_MS;
  const delayMs = options.shutdown?.delayMs ?? Math.min(DEFAULT_SHUTDOWN_DELAY_MS, Math.floor(gracePeriodMs / 3));
  if (delayMs >= gracePeriodMs) {
    throw new ServiceKitError(
      'SVC_ERR_OPTIONS_INVALID',
      `shutdown delay (${delayMs} ms) must be shorter than the grace period (${gracePeriodMs} ms)`,
      {
        where: `${options.name}: shutdown`,
        hint: 'Leave time after the delay for in-flight requests to finish, e.g. delayMs 3000 with gracePeriodMs 10000.',
      },
    );
  }
  const logger =
    options.logger ??
    createLogger({
      name: options.name,
      level: options.logLevel,
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    });
  const metrics = createServiceMetrics({ serviceName: options.name, defaultMetrics: options.defaultMetrics });
  const lifecycle = new ServiceLifecycle();
  const readiness = createReadinessProbe(options.readinessChecks ?? [], { cacheTtlMs: options.readinessCacheTtlMs });
  const shedder = createLoadShedder(options.shedding);
  const closeHooks = [...(options.onClose ?? [])];

  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    requestIdHeader: REQUEST_ID_HEADER,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...(options.bodyLimitBytes ? { bodyLimit: options.bodyLimitBytes } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  app.decorateRequest('principal', null);
  // Hooks on every request are callback-style, not async: no promise per request and hook.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    // While draining, end each connection after its response: a kept-alive socket would hold
    // the server open until keepAliveTimeout, and the client should reconnect elsewhere anyway.
    if (lifecycle.state !== 'ready') reply.header('connection', 'close');
    done(null, payload);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, status, 'internal error; the request id identifies it in the logs', { requestId: request.id });
    }
    return sendProblem(reply, status, error.message, error.validation ? { validation: error.validation } : {});
  });
  registerSheddingHook(app, shedder, metrics);
  registerMetricsRoutes(app, metrics);
  registerHealthRoutes(app, {
    serviceId: options.name,
    version: options.version,
    releaseId: options.releaseId,
    lifecycle,
    probe: readiness,
    ...(options.healthRoutes ? { routes: options.healthRoutes } : {}),
  });
  if (options.idempotency) {
    const { purgeIntervalMs, ...idempotency } = options.idempotency;
    registerIdempotency(app, { ...idempotency, metrics });
    const stopPurger = startIdempotencyPurger(idempotency.store, { intervalMs: purgeIntervalMs, logger });
    closeHooks.push(stopPurger);
  }

  let listening = false;
  let stopping: Promise<void> | undefined;
  let removeSignalHandlers: (() => void) | undefined;

  const stop = (reason = 'stop') => {
    stopping ??= (async () => {
      lifecycle.transition('draining', reason);
      logger.info({ reason, delayMs }, 'draining: readiness now fails');
      if (listening && delayMs > 0) await sleep(delayMs);
      await app.close();
      listening = false;
      shedder.stop();
      for (const hook of closeHooks.reverse()) {
        try {
          await hook();
        } catch (error) {
          logger.error({ err: error }, 'close hook failed');
        }
      }
      removeSignalHandlers?.();
      lifecycle.transition('stopped', reason);
    })();
    return stopping;
  };

  return {
    name: options.name,
    app,
    logger,
    metrics,
    lifecycle,
    readiness,
    shedder,
    async start(listen = {}) {
      const host = listen.host ?? '127.0.0.1';
      await app.listen({ port: listen.port ?? 0, host });
      listening = true;
      shedder.start();
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : (listen.port ?? 0);
      if (options.shutdown?.handleSignals ?? true) {
        removeSignalHandlers = installSignalHandlers({
          signals: options.shutdown?.signals ?? DEFAULT_SHUTDOWN_SIGNALS,
          gracePeriodMs,
          stop,
          logger,
          exit: options.shutdown?.exit,
        });
      }
      lifecycle.transition('ready');
      const urlHost = host.includes(':') ? `[${host}]` : host;
      return { port, host, url: `http://${urlHost}:${port}` };
    },
    stop,
    onClose(fn) {
      closeHooks.push(fn);
    },
    bulkhead: (bulkheadOptions) => createBulkhead({ ...bulkheadOptions, metrics }),
  };
}
