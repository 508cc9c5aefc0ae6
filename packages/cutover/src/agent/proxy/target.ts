import http from 'node:http';
import type { Balanced } from './load-balancer.ts';
import type { DrainReport, TargetSpec, TargetState } from './proxy-types.ts';
import { UpstreamClient, type UpstreamHandler, type UpstreamRequest } from './upstream-client.ts';

/**
 * Idle upstream sockets are closed after this long: below Node's default server keep-alive timeout
 * (5 s), so the app never closes a socket the proxy is about to reuse. Node's agent shortens it
 * further when the app announces `Keep-Alive: timeout=N`.
 */
export const UPSTREAM_IDLE_SOCKET_TIMEOUT_MS = 4000;
/** How much earlier than the app's own `Keep-Alive: timeout=N` hint the client drops an idle socket. */
const KEEP_ALIVE_HINT_MARGIN_MS = 1000;
/** How long passive ejection keeps a failing target out of selection. */
export const EJECTION_MS = 2000;
/** Failures in a row (of any kind) that eject a target; a connect failure ejects at once. */
export const EJECT_AFTER_FAILURES = 3;

/** A request the target can cut short when its drain times out. */
export interface InFlightExchange {
  /** performance.now() when the request arrived. */
  readonly startedMs: number;
  /** False for a request the route's metricsPaths filter leaves out of the counters. */
  readonly counted: boolean;
  cancel(): void;
}

/** An open WebSocket (or other upgraded connection) the target can close when its grace ends. */
export interface TrackedWebSocket {
  close(): void;
}

interface Drain {
  promise: Promise<DrainReport>;
  resolve: (report: DrainReport) => void;
  /** Resolves once no HTTP request is in flight any more (finished or cancelled); WebSockets may stay. */
  requests: Promise<void>;
  requestsDone: boolean;
  resolveRequests: () => void;
  websocketGraceMs: number;
  startedMs: number;
  inFlightAtStart: number;
  cancelled: number;
  websocketsClosed: number;
  graceOver: boolean;
  requestTimer: NodeJS.Timeout;
  /** Started once the HTTP requests are done (when the app is told to stop), not at the drain's start. */
  graceTimer: NodeJS.Timeout | null;
}

/**
 * One upstream instance: its keep-alive pools (UpstreamClient for requests, Node's agent for upgrades), the exchanges in flight to it and its WebSockets.
 *
 * States: active → draining → drained, changed only by `drain()` and `#settle()`.
 * - active: selectable while `healthy` and not ejected (both flags change freely while active).
 * - draining: out of selection for good. In-flight exchanges finish, or are cancelled when
 *   drainTimeoutMs runs out; WebSockets stay open until websocketGraceMs runs out, counted from the
 *   end of the HTTP part (when the app is told to stop and may close them itself), then are closed
 *   with a close frame.
 * - drained: nothing in flight and no WebSocket left; every upstream socket is destroyed and the
 *   drain report is delivered.
 */
export class Target implements Balanced {
  readonly id: string;
  readonly release: string;
  readonly host: string;
  readonly port: number;
  /** For upgrades (WebSocket handshakes) only; requests go through `dispatch`. */
  readonly agent: http.Agent;
  readonly #client: UpstreamClient;
  healthy = true;
  ejectedUntilMs = 0;
  inFlight = 0;
  requests = 0;
  #failures = 0;
  #state: 'active' | 'draining' | 'drained' = 'active';
  readonly #exchanges = new Set<InFlightExchange>();
  readonly #websockets = new Set<TrackedWebSocket>();
  #drain: Drain | null = null;

  constructor(spec: TargetSpec) {
    this.id = spec.id;
    this.release = spec.release;
    this.host = spec.host;
    this.port = spec.port;
    this.agent = new http.Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_SOCKET_TIMEOUT_MS, scheduling: 'lifo' });
    this.#client = new UpstreamClient({
      host: spec.host,
      port: spec.port,
      idleTimeoutMs: UPSTREAM_IDLE_SOCKET_TIMEOUT_MS,
      keepAliveHintMarginMs: KEEP_ALIVE_HINT_MARGIN_MS,
    });
  }

  /** Sends one request to the instance on a keep-alive socket (a new one when none is idle). */
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.#client.dispatch(request, handler);
  }

  get draining(): boolean {
    return this.#state !== 'active';
  }

  get websockets(): number {
    return this.#websockets.size;
  }

  /**
   * While draining: resolves once the HTTP requests in flight have finished (or were cancelled by
   * the drain timeout), while WebSockets may still be open. That is when the app can be told to
   * stop: it then closes its own WebSockets cleanly. Resolves at once when not draining.
   */
  requestsDrained(): Promise<void> {
    return this.#drain?.requests ?? Promise.resolve();
  }

  begin(exchange: InFlightExchange): void {
    this.inFlight++;
    this.requests++;
    this.#exchanges.add(exchange);
  }

  /** Idempotent: an exchange may end once from its retry and once from its finish. */
  end(exchange: InFlightExchange): void {
    if (!this.#exchanges.delete(exchange)) return;
    this.inFlight--;
    if (this.#drain !== null && this.inFlight === 0) {
      this.#requestsDone();
      this.#settle();
    }
  }

  /** When each counted request in flight arrived (performance.now()). */
  inFlightStarts(): number[] {
    const starts: number[] = [];
    for (const exchange of this.#exchanges) if (exchange.counted) starts.push(exchange.startedMs);
    return starts;
  }

  addWebSocket(websocket: TrackedWebSocket): void {
    this.#websockets.add(websocket);
    if (this.#drain?.graceOver) this.#closeWebSockets();
  }

  removeWebSocket(websocket: TrackedWebSocket): void {
    if (this.#websockets.delete(websocket) && this.#drain !== null) this.#settle();
  }

  succeeded(): void {
    this.#failures = 0;
  }

  /** Counts a failure; returns true when it newly ejects the target. */
  failed(immediate: boolean, nowMs: number): boolean {
    this.#failures++;
    if (!immediate && this.#failures < EJECT_AFTER_FAILURES) return false;
    this.#failures = 0;
    const wasEjected = this.ejectedUntilMs > nowMs;
    this.ejectedUntilMs = nowMs + EJECTION_MS;
    return !wasEjected;
  }

  state(nowMs: number): TargetState {
    return {
      id: this.id,
      release: this.release,
      healthy: this.healthy,
      draining: this.draining,
      inFlight: this.inFlight,
      websockets: this.#websockets.size,
      requests: this.requests,
      ejectedUntil: this.ejectedUntilMs > nowMs ? this.ejectedUntilMs : null,
    };
  }

  /** Takes the target out of selection now; resolves once it is drained. Repeated calls share one drain. */
  drain(drainTimeoutMs: number, websocketGraceMs: number): Promise<DrainReport> {
    if (this.#drain !== null) return this.#drain.promise;
    this.#state = 'draining';
    const { promise, resolve } = Promise.withResolvers<DrainReport>();
    const requests = Promise.withResolvers<void>();
    this.#drain = {
      promise,
      resolve,
      requests: requests.promise,
      requestsDone: false,
      resolveRequests: requests.resolve,
      websocketGraceMs,
      startedMs: performance.now(),
      inFlightAtStart: this.inFlight,
      cancelled: 0,
      websocketsClosed: 0,
      graceOver: false,
      requestTimer: setTimeout(() => this.#cancelInFlight(), drainTimeoutMs),
      graceTimer: null,
    };
    // Idle sockets will never be picked again: close them now rather than when they time out (the
    // client closes each busy socket as soon as its request in flight is answered).
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    this.#client.close();
    if (this.inFlight === 0) this.#requestsDone();
    this.#settle();
    return promise;
  }

  /** The HTTP part of the drain is over: the app is told to stop now, and its WebSockets' grace begins. */
  #requestsDone(): void {
    const drain = this.#drain!;
    if (drain.requestsDone) return;
    drain.requestsDone = true;
    drain.resolveRequests();
    if (this.#websockets.size > 0) drain.graceTimer = setTimeout(() => this.#closeWebSockets(), drain.websocketGraceMs);
  }

  #cancelInFlight(): void {
    const drain = this.#drain!;
    for (const exchange of [...this.#exchanges]) {
      drain.cancelled++;
      exchange.cancel();
      this.end(exchange);
    }
  }

  #closeWebSockets(): void {
    const drain = this.#drain!;
    drain.graceOver = true;
    for (const websocket of [...this.#websockets]) {
      drain.websocketsClosed++;
      websocket.close();
      this.#websockets.delete(websocket);
    }
    this.#settle();
  }

  #settle(): void {
    const drain = this.#drain;
    if (drain === null || this.#state === 'drained' || this.inFlight > 0 || this.#websockets.size > 0) return;
    this.#state = 'drained';
    clearTimeout(drain.requestTimer);
    if (drain.graceTimer !== null) clearTimeout(drain.graceTimer);
    drain.requestsDone = true;
    drain.resolveRequests();
    this.agent.destroy();
    this.#client.destroy();
    drain.resolve({
      targetId: this.id,
      outcome: drain.cancelled > 0 ? 'timed-out' : 'drained',
      drainedMs: Math.round(performance.now() - drain.startedMs),
      inFlightAtStart: drain.inFlightAtStart,
      cancelled: drain.cancelled,
      websocketsClosed: drain.websocketsClosed,
    });
  }
}
