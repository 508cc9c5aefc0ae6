/** Defaults for every optional cutover.yml value. The annotated example in docs/ shows the same numbers. */

export const DEFAULT_INSTANCES = 1;
export const DEFAULT_PORT_ENV = 'PORT';

export const DEFAULT_HEALTH_PATH = '/up';
export const DEFAULT_HEALTH_INTERVAL_MS = 1000;
/**
 * Probing interval while an instance is starting (before its first pass): short, so a ready
 * instance joins the pool fast. An http or tcp probe of a booting app is a refused connect or one
 * small request, so those run every 10 ms; a command probe spawns a process, so it runs every 50 ms.
 */
export const DEFAULT_NETWORK_HEALTH_START_INTERVAL_MS = 10;
export const DEFAULT_HEALTH_START_INTERVAL_MS = 50;
/** `startIntervalMs` of a health check that does not set it: by the check's type, as above. */
export function defaultStartIntervalMs(type: 'http' | 'tcp' | 'command' | 'process'): number {
  return type === 'http' || type === 'tcp' ? DEFAULT_NETWORK_HEALTH_START_INTERVAL_MS : DEFAULT_HEALTH_START_INTERVAL_MS;
}
export const DEFAULT_HEALTH_TIMEOUT_MS = 2000;
export const DEFAULT_HEALTHY_THRESHOLD = 1;
export const DEFAULT_UNHEALTHY_THRESHOLD = 3;
export const DEFAULT_START_TIMEOUT_MS = 60_000;

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESTARTS = 5;
export const DEFAULT_RESTART_BACKOFF_MS = 100;
export const DEFAULT_RESTART_MAX_BACKOFF_MS = 10_000;
export const DEFAULT_RESTART_WINDOW_MS = 60_000;

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_WEBSOCKET_GRACE_MS = 5_000;
/** Upstream timeouts of the proxy, nginx's defaults (proxy_connect_timeout, proxy_read_timeout). */
export const DEFAULT_PROXY_CONNECT_TIMEOUT_MS = 60_000;
export const DEFAULT_PROXY_RESPONSE_TIMEOUT_MS = 60_000;
export const DEFAULT_PROXY_IDLE_TIMEOUT_MS = 60_000;

export const DEFAULT_BATCH_SIZE = 1;
export const DEFAULT_ROLLOUT_PAUSE_MS = 0;
export const DEFAULT_BAKE_MS = 0;
export const DEFAULT_HOOK_TIMEOUT_MS = 300_000;
export const DEFAULT_BUILD_TIMEOUT_MS = 1_800_000;

export const DEFAULT_DATA_DIR = '.cutover';
export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_PORT_RANGE: readonly [number, number] = [20_000, 29_999];
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_KEEP_FILES = 5;
export const DEFAULT_KEEP_RELEASES = 5;
/** Deployments kept in the record per service, with their steps and events. */
export const DEFAULT_KEEP_DEPLOYMENTS = 200;
/** Logs of finished instances kept per service. */
export const DEFAULT_KEEP_INSTANCE_LOGS = 20;

/** A webhook request is abandoned past this (5 s). */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
/** Further attempts after a failed delivery (5). */
export const DEFAULT_WEBHOOK_RETRIES = 5;
/** The first retry waits this long; each next one twice as long, up to MAX_WEBHOOK_RETRY_DELAY_MS (1 s). */
export const DEFAULT_WEBHOOK_RETRY_DELAY_MS = 1_000;
export const MAX_WEBHOOK_RETRY_DELAY_MS = 60_000;
/** Samples an analysis measurement needs before it is judged (1). */
export const DEFAULT_MIN_SAMPLES = 1;
/** One metric provider request is abandoned past this (10 s). */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;
