import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CutoverError } from '../errors/cutover-error.ts';
import type { DataPlane } from './data-plane.ts';
import { buildPrometheusText, PROMETHEUS_CONTENT_TYPE } from './proxy/prometheus-text.ts';
import type { InstanceInfo } from './supervisor/instance-spec.ts';

/** How long a scrape waits for the controller's own metrics before answering without them. */
export const CONTROLLER_METRICS_TIMEOUT_MS = 2000;

/** What the agent adds to the proxy's counters: its instances, and the controller's metrics read over its socket. */
export interface MetricsSources {
  instances(): readonly InstanceInfo[];
  /** The controller's socket and the admin token; absent: no controller metrics. */
  controller?: { socket: string; token: string };
}

/**
 * GET /metrics on a loopback port: the proxy's counters, weights and pool, the instances, and what
 * the controller decided (its own registry, fetched from its socket at each scrape) for Prometheus.
 * Read-only and loopback-only, so it needs no token; anything else answers 404.
 */
export class MetricsServer {
  readonly #proxy: DataPlane;
  readonly #sources: MetricsSources | undefined;
  readonly #server: http.Server;

  constructor(proxy: DataPlane, sources?: MetricsSources) {
    this.#proxy = proxy;
    this.#sources = sources;
    this.#server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://agent.invalid');
      if (req.method === 'GET' && url.pathname === '/sd/instances') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(instanceTargets(this.#sources?.instances() ?? [], url.searchParams.get('service'))));
        return;
      }
      if (req.method !== 'GET' || url.pathname !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the agent serves GET /metrics and GET /sd/instances\n');
        return;
      }
      void this.renderAll().then((text) => res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text));
    });
  }

  /** Everything one scrape answers: the proxy, the instances, cutover_controller_up and the controller's metrics. */
  async renderAll(): Promise<string> {
    const parts = [this.render(), instanceText(this.#sources?.instances() ?? [])];
    if (this.#sources?.controller) {
      const controller = await fetchControllerMetrics(this.#sources.controller.socket, this.#sources.controller.token);
      parts.push(
        `# HELP cutover_controller_up Whether the controller answered this scrape (its metrics follow when it did).\n# TYPE cutover_controller_up gauge\ncutover_controller_up ${controller === null ? 0 : 1}\n`,
      );
      if (controller) parts.push(controller.endsWith('\n') ? controller : `${controller}\n`);
    }
    return parts.join('');
  }

  render(): string {
    const proxy = this.#proxy;
    return buildPrometheusText(
      proxy.routes().map((route) => ({
        service: route.service,
        counters: proxy.counters(route.service),
        weights: proxy.releaseWeights(route.service),
        targets: proxy.targets(route.service),
      })),
    );
  }

  /** Listens on 127.0.0.1:port (0 picks one) and returns the bound port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE') return reject(error);
        reject(
          new CutoverError('CUT_ERR_AGENT_PORT_IN_USE', `the metrics port ${port} on 127.0.0.1 is already in use`, {
            where: `127.0.0.1:${port}`,
            hint: 'set agent.metricsPort in cutover.yml to a free port, or remove it',
            cause: error,
          }),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', onError);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The instances the agent supervises: up (healthy), restarts and start time, by service, release and process type. */
export function instanceText(instances: readonly InstanceInfo[]): string {
  if (instances.length === 0) return '';
  const up: string[] = [];
  const restarts: string[] = [];
  const started: string[] = [];
  for (const i of instances) {
    const labels = `service="${label(i.spec.service)}",release="${label(i.spec.release)}",process_type="${label(i.spec.processType)}",instance_id="${label(i.spec.id)}"`;
    up.push(`cutover_instance_up{${labels},state="${i.state}"} ${i.state === 'healthy' ? 1 : 0}`);
    restarts.push(`cutover_instance_restarts_total{${labels}} ${i.restarts}`);
    if (i.pid !== null) started.push(`cutover_instance_start_time_seconds{${labels}} ${i.startedAt / 1000}`);
  }
  return [
    '# HELP cutover_instance_up Whether an instance is healthy (1) or not (0), with its state.',
    '# TYPE cutover_instance_up gauge',
    ...up,
    '# HELP cutover_instance_restarts_total Respawns of an instance after unexpected exits.',
    '# TYPE cutover_instance_restarts_total counter',
    ...restarts,
    ...(started.length
      ? [
          '# HELP cutover_instance_start_time_seconds When the running process of an instance started.',
          '# TYPE cutover_instance_start_time_seconds gauge',
          ...started,
        ]
      : []),
    '',
  ].join('\n');
}

/** Prometheus HTTP service discovery: every instance with a port, labelled, so a new release is scraped as it starts. */
export function instanceTargets(instances: readonly InstanceInfo[], service: string | null) {
  return instances
    .filter((i) => i.port !== null && i.pid !== null && (!service || i.spec.service === service))
    .map((i) => ({
      targets: [`127.0.0.1:${i.port}`],
      labels: { service: i.spec.service, release: i.spec.release, process_type: i.spec.processType, instance_id: i.spec.id },
    }));
}

/** GET /v1/metrics of the controller over its socket; null when it does not answer in time. */
function fetchControllerMetrics(socket: string, token: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        socketPath: socket,
        path: '/v1/metrics',
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        timeout: CONTROLLER_METRICS_TIMEOUT_MS,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === 200 ? body : null));
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
