import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CutoverError } from '../errors/cutover-error.ts';
import { buildPrometheusText, PROMETHEUS_CONTENT_TYPE } from './proxy/prometheus-text.ts';
import type { ProxyServer } from './proxy/proxy-server.ts';

/**
 * GET /metrics on a loopback port: the proxy's counters, weights and pool for Prometheus. Read-only
 * and loopback-only, so it needs no token; anything else answers 404.
 */
export class MetricsServer {
  readonly #proxy: ProxyServer;
  readonly #server: http.Server;

  constructor(proxy: ProxyServer) {
    this.#proxy = proxy;
    this.#server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the agent serves GET /metrics\n');
        return;
      }
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(this.render());
    });
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
