import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CutoverError } from '../errors/cutover-error.ts';
import { runAction } from './dashboard-actions.ts';
import type { DashboardContext } from './dashboard-context.ts';
import { renderDeployment, renderHistory, renderPage, renderServices, renderTasks } from './dashboard-html.ts';
import { deploymentView, readLogs } from './dashboard-reads.ts';
import { focusDeployment, historyView, servicesView, tasksView } from './dashboard-snapshot.ts';
import type { EventFeed, FeedEvent } from './event-feed.ts';
import { ProcessSampler } from './process-stats.ts';

/** How often open pages get the services (instances, health, CPU, memory) again. */
export const SERVICES_PUSH_MS = 2000;
/** A comment line on every stream this often, so proxies and browsers keep it open. */
const KEEPALIVE_MS = 15_000;

const require = createRequire(import.meta.url);
/** Events that change a deployment's timeline (its steps, the canary's steps and pauses, its outcome). */
const TIMELINE_EVENT = /^(step|deployment|rollout|signal):/;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
const PAGE_DIR = new URL('./page/', import.meta.url);

/** The files the page loads, all from this package (uPlot from its npm package): no CDN, no build step. */
const ASSETS: Record<string, { file: string | URL; type: string }> = {
  '/assets/uPlot.iife.min.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  '/assets/dashboard.js': { file: new URL('dashboard.js', PAGE_DIR), type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: new URL('dashboard.css', PAGE_DIR), type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export interface DashboardAddress {
  host: string;
  port: number;
  /** The page's address with its token: what "cutover dashboard" prints. */
  url: string;
}

/**
 * The dashboard's HTTP server: the page, its assets, a server-sent event stream and the JSON reads
 * and actions behind it. Every request but the static assets needs the dashboard's token (or the
 * admin token), given as ?token= or a Bearer header; Host must name the address it listens on, so
 * that another site cannot reach it through a rebound DNS name.
 */
export class DashboardServer {
  readonly #context: DashboardContext;
  readonly #feed: EventFeed;
  readonly #token = randomBytes(24).toString('base64url');
  readonly #adminToken: string;
  readonly #server: http.Server;
  readonly #streams = new Set<http.ServerResponse>();
  readonly #sampler = new ProcessSampler();
  #address: DashboardAddress | null = null;
  #servicesTimer: NodeJS.Timeout | null = null;
  #lastServices = '';
  #unsubscribe: (() => void) | null = null;

  constructor(context: DashboardContext, feed: EventFeed, adminToken: string) {
    this.#context = context;
    this.#feed = feed;
    this.#adminToken = adminToken;
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        const body =
          error instanceof CutoverError
            ? error.toJSON()
            : { code: 'CUT_ERR_DASHBOARD_REQUEST', message: String((error as Error)?.message ?? error) };
        if (!res.headersSent)
          res.writeHead(error instanceof CutoverError ? 400 : 500, { 'content-type': 'application/json', ...SECURITY_HEADERS });
        res.end(JSON.stringify({ error: body }));
      });
    });
  }

  get address(): DashboardAddress | null {
    return this.#address;
  }

  async listen(host: string, port: number): Promise<DashboardAddress> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL'
            ? new CutoverError('CUT_ERR_DASHBOARD_LISTEN', `the dashboard cannot listen on ${host}:${port}: ${error.code}`, {
                where: `${host}:${port}`,
                hint: 'pick another --port (0 picks a free one), or a --host address of this machine',
                cause: error,
              })
            : error,
        );
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    const bound = (this.#server.address() as AddressInfo).port;
    const shown = host.includes(':') ? `[${host}]` : host;
    this.#address = { host, port: bound, url: `http://${shown}:${bound}/?token=${this.#token}` };
    this.#unsubscribe = this.#feed.subscribe((batch) => this.#broadcastEvents(batch), { live: false });
    return this.#address;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    if (this.#servicesTimer) clearInterval(this.#servicesTimer);
    for (const res of this.#streams) res.end();
    await new Promise<void>((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #authorized(req: http.IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : null;
    const given = header ?? url.searchParams.get('token') ?? '';
    return [this.#token, this.#adminToken].some((expected) => {
      const a = Buffer.from(given);
      const b = Buffer.from(expected);
      return a.length === b.length && timingSafeEqual(a, b);
    });
  }

  #hostAllowed(req: http.IncomingMessage): boolean {
    const address = this.#address;
    if (!address) return false;
    // Listening on every address (--host 0.0.0.0): the page is reached by any name; the token still guards it.
    if (WILDCARD_HOSTS.has(address.host)) return true;
    const host = (req.headers.host ?? '').toLowerCase();
    const port = String(address.port);
    const names = new Set(
      [address.host, 'localhost', '127.0.0.1', '[::1]'].map((h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)),
    );
    return [...names].some((name) => host === `${name}:${port}`);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (!this.#hostAllowed(req)) return send(res, 421, 'text/plain', 'wrong Host: open the address "cutover dashboard" printed\n');
    const asset = ASSETS[url.pathname];
    if (asset && req.method === 'GET') return send(res, 200, asset.type, readFileSync(asset.file));
    if (!this.#authorized(req, url))
      return send(res, 401, 'text/plain', 'missing or wrong token: open the address "cutover dashboard" printed (it carries the token)\n');
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', await this.#page());
    if (req.method === 'GET' && url.pathname === '/api/events') return this.#stream(req, res);
    const opened = /^\/api\/deployments\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && opened) {
      const view = deploymentView(this.#context.store, Number(opened[1]));
      if (!view)
        return send(
          res,
          404,
          'application/json',
          JSON.stringify({ error: { code: 'CUT_ERR_DEPLOY_NOT_FOUND', message: `no deployment ${opened[1]} is recorded` } }),
        );
      return send(res, 200, 'application/json', JSON.stringify(view));
    }
    if (req.method === 'GET' && url.pathname === '/api/logs') {
      const logs = await readLogs(this.#context.paths.logDir, url.searchParams.get('instance') ?? '', url.searchParams.get('filter') ?? '');
      return send(res, 200, 'application/json', JSON.stringify(logs));
    }
    if (req.method === 'POST' && url.pathname === '/api/actions') {
      const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      const result = await runAction(this.#context, body);
      return send(res, 200, 'application/json', JSON.stringify(result));
    }
    return send(res, 404, 'text/plain', 'not found\n');
  }

  async #page(): Promise<string> {
    const store = this.#context.store;
    const focus = focusDeployment(store);
    const services = await servicesView(this.#context, this.#sampler);
    return renderPage({
      services: renderServices(services),
      deployment: renderDeployment(focus),
      history: renderHistory(historyView(store)),
      tasks: renderTasks(tasksView(store)),
      boot: {
        deployment: focus ? deploymentView(store, focus.id)?.data : null,
        instances: services.flatMap((s) => s.instances.map((i) => ({ id: i.id, service: s.service }))),
      },
    });
  }

  #stream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write('retry: 1000\n\n');
    this.#streams.add(res);
    const unsubscribe = this.#feed.subscribe(() => {}, { live: true });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    if (!this.#servicesTimer) this.#servicesTimer = setInterval(() => void this.#pushServices(), SERVICES_PUSH_MS);
    req.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      this.#streams.delete(res);
      if (this.#streams.size === 0 && this.#servicesTimer) {
        clearInterval(this.#servicesTimer);
        this.#servicesTimer = null;
      }
    });
  }

  #write(name: string, data: unknown): void {
    const frame = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.#streams) res.write(frame);
  }

  async #pushServices(): Promise<void> {
    if (this.#streams.size === 0) return;
    const html = renderServices(await servicesView(this.#context, this.#sampler));
    if (html === this.#lastServices) return;
    this.#lastServices = html;
    this.#write('fragment', { target: 'services', html });
  }

  #broadcastEvents(batch: readonly FeedEvent[]): void {
    if (this.#streams.size === 0) return;
    const store = this.#context.store;
    const touched = new Set<number>();
    let steps = false;
    for (const event of batch) {
      this.#write('record', event);
      if (TIMELINE_EVENT.test(event.type)) touched.add(event.deploymentId);
      if (event.type.startsWith('step:') || event.type.startsWith('deployment:')) steps = true;
    }
    // The timeline is rendered once on the server for every page; steps also change the history.
    for (const id of touched) this.#write('deployment', { deploymentId: id, html: renderDeployment(store.deployment(id)) });
    if (steps) {
      this.#write('fragment', { target: 'history', html: renderHistory(historyView(store)) });
      void this.#pushServices();
    }
  }

  /** Tells open pages a deployment changed state (its end is no event row: the controller's events say it). */
  deploymentChanged(deploymentId: number): void {
    if (this.#streams.size === 0) return;
    this.#write('deployment', { deploymentId, html: renderDeployment(this.#context.store.deployment(deploymentId)) });
    this.#write('fragment', { target: 'history', html: renderHistory(historyView(this.#context.store)) });
    this.#write('fragment', { target: 'tasks', html: renderTasks(tasksView(this.#context.store)) });
    void this.#pushServices();
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 64 * 1024) req.destroy(new Error('request body over 64 kB'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
