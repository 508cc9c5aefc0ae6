import { readFileSync } from 'node:fs';
import type { ControllerMetrics } from './controller-metrics.ts';
import type { DashboardContext } from './dashboard-context.ts';
import type { DashboardAddress, DashboardServer } from './dashboard-server.ts';
import { EventFeed, type FeedEvent } from './event-feed.ts';

/** Where the dashboard listens unless told otherwise: loopback only. */
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';

/**
 * The controller's monitoring part: one event feed over cutover.db that drives cutover's own
 * metrics (always) and the dashboard (once "cutover dashboard" asked for it). prom-client loads
 * with the first event or scrape and the dashboard's server on demand, so the controller starts
 * as fast as before and an idle one never loads them; with no page open the feed does not poll
 * (a scrape reads what other processes recorded).
 */
export class DashboardHost {
  readonly name = 'dashboard';
  readonly #context: DashboardContext;
  readonly #feed: EventFeed;
  #metrics: Promise<ControllerMetrics> | null = null;
  #server: Promise<DashboardServer> | null = null;
  #serverAddress: Promise<DashboardAddress> | null = null;
  #pending: FeedEvent[] = [];
  #pendingOutcomes: [string, Parameters<ControllerMetrics['onDeploymentEvent']>[1]][] = [];
  readonly #unsubscribe: (() => void)[] = [];

  constructor(context: DashboardContext) {
    this.#context = context;
    this.#feed = new EventFeed(context.store);
  }

  async start(): Promise<void> {
    this.#feed.start();
    this.#unsubscribe.push(
      this.#feed.subscribe((batch) => {
        this.#pending.push(...batch);
        void this.#flushMetrics();
      }),
      this.#context.events.onAny((name, payload) => {
        this.#pendingOutcomes.push([name, payload]);
        void this.#flushMetrics();
        void this.#server?.then((server) => server.deploymentChanged(payload.deploymentId));
        this.#feed.wake();
      }),
    );
    // prom-client (tens of ms to import) loads with the first event or the first scrape, never on the start path.
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#feed.stop();
    if (this.#server) await (await this.#server).close();
  }

  metrics(): Promise<ControllerMetrics> {
    this.#metrics ??= import('./controller-metrics.ts').then(({ ControllerMetrics }) => new ControllerMetrics(this.#context.store));
    return this.#metrics;
  }

  /** cutover's own metrics in the Prometheus text format, after reading the events recorded since the last read. */
  async scrape(): Promise<string> {
    const metrics = await this.metrics();
    this.#feed.catchUp();
    await this.#flushMetrics();
    return metrics.metrics();
  }

  async #flushMetrics(): Promise<void> {
    const metrics = await this.metrics();
    const events = this.#pending.splice(0);
    if (events.length > 0) metrics.onEvents(events);
    for (const [name, payload] of this.#pendingOutcomes.splice(0)) metrics.onDeploymentEvent(name, payload);
  }

  /** Starts the dashboard's server on the first call (later calls answer where it listens). */
  async open(options: { host?: string; port?: number }): Promise<DashboardAddress> {
    const host = options.host ?? DEFAULT_DASHBOARD_HOST;
    const port = options.port ?? 0;
    if (this.#serverAddress) {
      const address = await this.#serverAddress;
      if (
        (options.host === undefined || address.host === host) &&
        (options.port === undefined || options.port === 0 || address.port === port)
      )
        return address;
      await (await (this.#server as Promise<DashboardServer>)).close();
    }
    this.#server = import('./dashboard-server.ts').then(
      ({ DashboardServer }) => new DashboardServer(this.#context, this.#feed, readFileSync(this.#context.paths.token, 'utf8').trim()),
    );
    this.#serverAddress = this.#server.then((server) => server.listen(host, port));
    this.#serverAddress.catch(() => {
      this.#server = null;
      this.#serverAddress = null;
    });
    return this.#serverAddress;
  }
}

const HOSTS = new WeakMap<object, DashboardHost>();

/** The dashboard host of a controller context (one per controller process). */
export function dashboardService(context: DashboardContext): DashboardHost {
  let host = HOSTS.get(context);
  if (!host) {
    host = new DashboardHost(context);
    HOSTS.set(context, host);
  }
  return host;
}
