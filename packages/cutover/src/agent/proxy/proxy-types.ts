/** How one service is reached through the proxy and how its targets leave it. */
export interface RouteSpec {
  service: string;
  /** Exact names or `*.example.com` (one label); empty means any host. */
  hosts: string[];
  /** Segment-aware prefix: `/api` matches `/api` and `/api/x`, not `/apix`. */
  pathPrefix: string;
  /** Remove the prefix from the path before forwarding. */
  stripPrefix: boolean;
  /** How long a removed target's in-flight requests may run before they are answered 504. */
  drainTimeoutMs: number;
  /** How long a removed target's WebSockets stay open once its HTTP requests are done, before the proxy closes them (close frame 1012). */
  websocketGraceMs: number;
  /** While release weights are set, keep a client on its release with this cookie (none by default). */
  stickyCookie?: string;
  /** While release weights are set, keep a client on the release its value of this header hashes to (none by default). */
  stickyHeader?: string;
  /** A request header naming the release to send the request to, for testers (none by default). */
  forceReleaseHeader?: string;
  /** How long connecting to an instance may take before the request is answered 504 (default DEFAULT_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** How long an instance may take to send its response head once the request went out (default DEFAULT_RESPONSE_TIMEOUT_MS). */
  responseTimeoutMs?: number;
  /** How long a response body (or a request body being sent) may stall between two reads (default DEFAULT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
  /**
   * Which request paths count in the release counters (analysis, /metrics): with `include`, only
   * paths under one of its prefixes; never those under an `exclude` prefix. Everything by default.
   */
  metricsPaths?: { include?: string[]; exclude?: string[] };
}

/** One upstream instance of a service. */
export interface TargetSpec {
  id: string;
  release: string;
  host: string;
  port: number;
}

export interface TargetState {
  id: string;
  release: string;
  healthy: boolean;
  draining: boolean;
  inFlight: number;
  websockets: number;
  /** Requests sent to this target (a retried request counts on each target it was sent to). */
  requests: number;
  /** Epoch ms until which passive ejection keeps the target out of selection; null when not ejected. */
  ejectedUntil: number | null;
}

/**
 * How a drain ended: `drained`, the data plane said nothing is left in flight (the Node proxy's
 * count, HAProxy's current and queued sessions at 0); `timed-out`, proxy.drainTimeoutMs ran out with
 * requests still in flight (they were cut); `unreachable`, HAProxy's runtime API did not answer, so
 * the drain had no evidence and waited for the whole timeout.
 */
export type DrainOutcome = 'drained' | 'timed-out' | 'unreachable';

export interface DrainReport {
  targetId: string;
  outcome: DrainOutcome;
  /** With `unreachable`: why the data plane gave no answer (CUT_ERR_AGENT_HAPROXY_RUNTIME's message). */
  error?: string;
  drainedMs: number;
  inFlightAtStart: number;
  /** In-flight requests the drain timeout cut short (answered 504 when nothing was sent yet). */
  cancelled: number;
  /** WebSockets the proxy closed when the grace ran out (not those that closed by themselves). */
  websocketsClosed: number;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** Cumulative (Prometheus-style) latency bucket: how many requests took at most `le` ms. */
export interface LatencyBucket {
  le: number;
  count: number;
}

export interface CountersSnapshot {
  requests: number;
  byStatusClass: Record<StatusClass, number>;
  /** 502/503/504 answers the proxy generated itself (also counted in byStatusClass['5xx']). */
  proxyErrors: number;
  /** 504s answered because an instance was silent past a timeout (connect, response head, body); also proxyErrors. */
  timeouts: number;
  latencyBucketsMs: LatencyBucket[];
  latencySumMs: number;
}

/** One finished request: when it finished (epoch ms), how long it took, what status it got. */
export interface LatencySample {
  atMs: number;
  latencyMs: number;
  status: number;
  /** A request still unanswered: `atMs` is now, `latencyMs` its age so far, `status` 0. */
  inFlight?: true;
}

export interface TargetEjectedEvent {
  service: string;
  id: string;
  reason: string;
}
