import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { CutoverError } from '../../errors/cutover-error.ts';
import type { DataPlane } from '../data-plane.ts';
import { checkReleaseWeights, unknownService } from '../data-plane-errors.ts';
import { buildUpstreamHeaders } from './forward-headers.ts';
import { HttpExchange } from './http-exchange.ts';
import { listenGroup } from './listen-port.ts';
import { writeProxyError, writeRawProxyError } from './proxy-responses.ts';
import { ProxyService } from './proxy-service.ts';
import type {
  CountersSnapshot,
  DrainReport,
  LatencySample,
  RouteSpec,
  TargetEjectedEvent,
  TargetSpec,
  TargetState,
} from './proxy-types.ts';
import { normalizeRequestPath } from './request-path.ts';
import { Router, stripPathPrefix } from './router.ts';
import { UpgradeExchange } from './upgrade-exchange.ts';

export { percentile } from './percentile.ts';
export type {
  CountersSnapshot,
  DrainReport,
  LatencyBucket,
  LatencySample,
  RouteSpec,
  TargetEjectedEvent,
  TargetSpec,
  TargetState,
} from './proxy-types.ts';

export const DEFAULT_LISTEN_HOST = '0.0.0.0';
/** Seconds a client is told to wait when a service has no healthy target. */
export const NO_TARGET_RETRY_AFTER_S = 1;
/**
 * How long an idle client connection stays open. Long, like common front proxies: a client whose
 * own idle timeout is longer than ours would reuse a socket we just closed and see a reset.
 */
export const CLIENT_KEEP_ALIVE_TIMEOUT_MS = 75_000;
/** A cookie or header name (RFC 9110 token). */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface ProxyServerOptions {
  /** Plain HTTP listener; 0 picks a free port. */
  httpPort: number;
  /** TLS listener (needs `tls`); none by default. */
  httpsPort?: number;
  /** PEM certificate and key files for httpsPort. */
  tls?: { certFile: string; keyFile: string };
  /** Address to listen on (default '0.0.0.0'). */
  listenHost?: string;
  /** How long counters of a release without targets are kept (default RETIRED_COUNTERS_KEEP_MS). */
  retiredCountersKeepMs?: number;
}

export interface ProxyServerEvents {
  'target:ejected': [TargetEjectedEvent];
  /** A listener failed after it started (e.g. out of file descriptors on accept); it keeps running. */
  'listener:error': [{ port: number; error: Error }];
}

/**
 * The agent's data plane: terminates client HTTP/1.1 (and TLS), routes by host and path prefix to a
 * service, picks one of its targets and forwards, keeping connections alive on both sides.
 * Route and target changes take effect for the next request, synchronously; removing a target drains
 * it (see Target). The control plane (admin API, instance routing) is the only caller of the setters.
 */
export class ProxyServer extends EventEmitter<ProxyServerEvents> implements DataPlane {
  readonly kind = 'node' as const;
  readonly #options: ProxyServerOptions;
  readonly #services = new Map<string, ProxyService>();
  #router = new Router<ProxyService>([]);
  readonly #servers: { server: http.Server; port: number }[] = [];
  #closing: Promise<void> | null = null;
  readonly #emitEjected = (event: TargetEjectedEvent): void => {
    this.emit('target:ejected', event);
  };
  readonly #onHttpRequest = (req: IncomingMessage, res: ServerResponse): void => this.#dispatch(req, res, 'http');
  readonly #onHttpsRequest = (req: IncomingMessage, res: ServerResponse): void => this.#dispatch(req, res, 'https');
  readonly #onHttpUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => this.#dispatchUpgrade(req, socket, head, 'http');
  readonly #onHttpsUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void =>
    this.#dispatchUpgrade(req, socket, head, 'https');

  constructor(options: ProxyServerOptions) {
    super();
    if (options.httpsPort !== undefined && options.tls === undefined) {
      throw new CutoverError('CUT_ERR_AGENT_TLS', `an HTTPS port (${options.httpsPort}) is set without a certificate and key`, {
        where: 'agent.tls',
        hint: 'set agent.tls.certFile and agent.tls.keyFile in cutover.yml, or remove agent.httpsPort',
      });
    }
    this.#options = options;
  }

  async listen(): Promise<{ httpPort: number; httpsPort?: number }> {
    const host = this.#options.listenHost ?? DEFAULT_LISTEN_HOST;
    const { httpsPort, tls } = this.#options;
    const credentials = httpsPort !== undefined && tls !== undefined ? await readCredentials(tls) : null;
    const plain = await listenGroup(
      () => http.createServer(this.#onHttpRequest).on('upgrade', this.#onHttpUpgrade),
      this.#options.httpPort,
      host,
    );
    for (const server of plain.servers) this.#adopt(server as http.Server, plain.port);
    if (credentials === null || httpsPort === undefined) return { httpPort: plain.port };
    try {
      const secure = await listenGroup(
        () => https.createServer(credentials, this.#onHttpsRequest).on('upgrade', this.#onHttpsUpgrade),
        httpsPort,
        host,
      );
      for (const server of secure.servers) this.#adopt(server as http.Server, secure.port);
      return { httpPort: plain.port, httpsPort: secure.port };
    } catch (error) {
      await this.#closeListeners();
      throw error;
    }
  }

  /** Stops accepting connections, drains every target (each within its route's bounds), then closes all sockets. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  setRoute(spec: RouteSpec): void {
    if (typeof spec.service !== 'string' || spec.service === '') {
      throw new CutoverError('CUT_ERR_AGENT_ROUTE_INVALID', 'a proxy route needs a service name', { hint: 'set service in cutover.yml' });
    }
    for (const key of ['drainTimeoutMs', 'websocketGraceMs'] as const) {
      if (!Number.isFinite(spec[key]) || spec[key] < 0) {
        throw new CutoverError('CUT_ERR_AGENT_ROUTE_INVALID', `service ${spec.service} has an invalid ${key} (${spec[key]})`, {
          where: `proxy route ${spec.service}`,
          hint: `${key} must be a duration of 0 or more milliseconds`,
        });
      }
    }
    for (const key of ['stickyCookie', 'stickyHeader', 'forceReleaseHeader'] as const) {
      const value = spec[key];
      if (value !== undefined && (typeof value !== 'string' || !HTTP_TOKEN.test(value))) {
        throw new CutoverError('CUT_ERR_AGENT_ROUTE_INVALID', `service ${spec.service} has an invalid ${key} (${JSON.stringify(value)})`, {
          where: `proxy route ${spec.service}`,
          hint: `${key} must be a cookie or header name: letters, digits and !#$%&'*+.^_\`|~-`,
        });
      }
    }
    const frozen: RouteSpec = Object.freeze({ ...spec, hosts: Object.freeze([...spec.hosts]) as string[] });
    const existing = this.#services.get(spec.service);
    const service = existing ?? new ProxyService(frozen, this.#emitEjected, this.#options.retiredCountersKeepMs);
    const specs = [...this.#services.values()].map((s) => (s === existing ? frozen : s.spec));
    if (!existing) specs.push(frozen);
    const router = buildServiceRouter(specs, (name) => (name === spec.service ? service : this.#services.get(name)!));
    existing?.update(frozen);
    this.#services.set(spec.service, service);
    this.#router = router;
  }

  /** The route stops matching at once; resolves when all of its targets are drained. */
  async removeRoute(service: string): Promise<void> {
    const removed = this.#service(service);
    this.#services.delete(service);
    this.#router = buildServiceRouter(
      [...this.#services.values()].map((s) => s.spec),
      (name) => this.#services.get(name)!,
    );
    await Promise.all(removed.targets.map((target) => removed.remove(target.id)));
  }

  addTarget(service: string, target: TargetSpec): void {
    this.#service(service).add(target);
  }

  removeTarget(service: string, id: string): Promise<DrainReport> {
    try {
      return this.#service(service).remove(id);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resolves once a draining target has no HTTP request in flight (its WebSockets may still be
   * open): the moment to tell the app to stop, so that it closes them itself. At once for an
   * unknown target.
   */
  requestsDrained(service: string, id: string): Promise<void> {
    const target = this.#services.get(service)?.find(id);
    return target === undefined ? Promise.resolve() : target.requestsDrained();
  }

  setTargetHealthy(service: string, id: string, healthy: boolean): void {
    this.#service(service).get(id).healthy = healthy;
  }

  /** Canary split: share of new requests per release (0-100); null spreads over all healthy targets. */
  setReleaseWeights(service: string, weights: Record<string, number> | null): void {
    const target = this.#service(service);
    checkReleaseWeights(service, weights);
    target.balancer.setWeights(weights === null ? null : { ...weights });
  }

  releaseWeights(service: string): Record<string, number> | null {
    return this.#service(service).balancer.weights;
  }

  /** Every setter takes effect at once in this process. */
  applied(): Promise<void> {
    return Promise.resolve();
  }

  routes(): RouteSpec[] {
    return [...this.#services.values()].map((service) => service.spec);
  }

  targets(service: string): TargetState[] {
    return this.#service(service).states();
  }

  counters(service: string): Record<string, CountersSnapshot> {
    return this.#service(service).counters();
  }

  /** Recent samples of one release (oldest first) finished at or after `sinceMs` (epoch ms). */
  samples(service: string, release: string, sinceMs = 0): LatencySample[] {
    return this.#service(service).samples(release, sinceMs);
  }

  #dispatch(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https'): void {
    const startedMs = performance.now();
    const url = normalizeRequestPath(req.url ?? '/');
    const head = buildUpstreamHeaders(req.rawHeaders, req.socket.remoteAddress ?? '', proto);
    const service = this.#router.match(head.host, url);
    if (service === null) {
      writeProxyError(res, 404, noRouteMessage(head.host, url));
      return;
    }
    const affinity = service.affinity;
    const choice = affinity === null ? null : affinity.pick(service.balancer, service.targets, Date.now(), head.headers);
    const target = choice === null ? service.pick(null) : choice.target;
    if (target === null) {
      writeProxyError(res, 503, `service ${service.name} has no healthy target`, NO_TARGET_RETRY_AFTER_S);
      return;
    }
    if (this.#closing !== null) res.shouldKeepAlive = false;
    const path = service.spec.stripPrefix ? stripPathPrefix(url, service.prefix) : url;
    const exchange = new HttpExchange(service, req, res, head, path, startedMs);
    if (service.metricsFilter !== null) exchange.counted = service.metricsFilter.counts(url);
    if (choice !== null) {
      exchange.pinnedRelease = choice.release;
      exchange.setCookie = choice.setCookie;
    }
    exchange.start(target);
  }

  #dispatchUpgrade(req: IncomingMessage, socket: Socket, clientHead: Buffer, proto: 'http' | 'https'): void {
    const startedMs = performance.now();
    const url = normalizeRequestPath(req.url ?? '/');
    const head = buildUpstreamHeaders(req.rawHeaders, socket.remoteAddress ?? '', proto, true);
    socket.on('error', () => socket.destroy());
    const service = this.#router.match(head.host, url);
    if (service === null) {
      writeRawProxyError(socket, 404, noRouteMessage(head.host, url));
      return;
    }
    const target =
      service.affinity === null
        ? service.pick(null)
        : service.affinity.pick(service.balancer, service.targets, Date.now(), head.headers).target;
    if (target === null) {
      writeRawProxyError(socket, 503, `service ${service.name} has no healthy target`, NO_TARGET_RETRY_AFTER_S);
      return;
    }
    const path = service.spec.stripPrefix ? stripPathPrefix(url, service.prefix) : url;
    const exchange = new UpgradeExchange(service, req, socket, clientHead, head, path, startedMs);
    if (service.metricsFilter !== null) exchange.counted = service.metricsFilter.counts(url);
    exchange.start(target);
  }

  #service(name: string): ProxyService {
    const service = this.#services.get(name);
    if (!service) throw unknownService(name, this.#services.keys());
    return service;
  }

  #adopt(server: http.Server, port: number): void {
    server.keepAliveTimeout = CLIENT_KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = CLIENT_KEEP_ALIVE_TIMEOUT_MS + 1000;
    server.on('error', (error: Error) => this.emit('listener:error', { port, error }));
    this.#servers.push({ server, port });
  }

  async #close(): Promise<void> {
    const servers = this.#servers.map(({ server }) => server);
    const closed = this.#closeListeners();
    for (const server of servers) server.closeIdleConnections();
    const drains: Promise<unknown>[] = [];
    for (const service of this.#services.values()) for (const target of service.targets) drains.push(service.remove(target.id));
    await Promise.all(drains);
    // Keep-alive connections still open would hold server.close() until their idle timeout.
    for (const server of servers) server.closeAllConnections();
    await closed;
  }

  #closeListeners(): Promise<void> {
    const servers = this.#servers.splice(0);
    return Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => undefined);
  }
}

function buildServiceRouter(specs: readonly RouteSpec[], serviceOf: (name: string) => ProxyService): Router<ProxyService> {
  return new Router(
    specs.map((spec) => ({ hosts: spec.hosts, pathPrefix: spec.pathPrefix, value: serviceOf(spec.service), name: spec.service })),
  );
}

function noRouteMessage(host: string, url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return `no service matches host "${host.slice(0, 200)}" and path "${path.slice(0, 200)}"`;
}

async function readCredentials(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new CutoverError('CUT_ERR_AGENT_TLS', `cannot read the TLS ${what} file ${file}: ${(error as Error).message}`, {
        where: file,
        hint: `check agent.tls.${what === 'certificate' ? 'certFile' : 'keyFile'} in cutover.yml: the file must exist and be readable by the agent`,
        cause: error,
      });
    }
  };
  const cert = await read(tls.certFile, 'certificate');
  const key = await read(tls.keyFile, 'key');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CutoverError(
      'CUT_ERR_AGENT_TLS',
      `the TLS certificate ${tls.certFile} and key ${tls.keyFile} are not a usable PEM pair: ${(error as Error).message}`,
      {
        where: tls.certFile,
        hint: 'point agent.tls.certFile and agent.tls.keyFile at a PEM certificate and its matching private key',
        cause: error,
      },
    );
  }
  return { cert, key };
}
