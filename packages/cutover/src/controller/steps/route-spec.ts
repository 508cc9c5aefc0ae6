import type { RouteSpec } from '../../agent/proxy/proxy-server.ts';
import type { LoadedConfig } from '../../config/load-config.ts';

/** The proxy route of a service, from its config. */
export function buildRouteSpec(loaded: LoadedConfig): RouteSpec {
  const { proxy, service } = loaded.config;
  return {
    service,
    hosts: [...proxy.hosts],
    pathPrefix: proxy.pathPrefix,
    stripPrefix: proxy.stripPrefix,
    drainTimeoutMs: proxy.drainTimeoutMs,
    websocketGraceMs: proxy.websocketGraceMs,
    connectTimeoutMs: proxy.connectTimeoutMs,
    responseTimeoutMs: proxy.responseTimeoutMs,
    idleTimeoutMs: proxy.idleTimeoutMs,
    ...(proxy.metricsPaths.include.length > 0 || proxy.metricsPaths.exclude.length > 0
      ? { metricsPaths: { include: [...proxy.metricsPaths.include], exclude: [...proxy.metricsPaths.exclude] } }
      : {}),
    ...(proxy.sticky && 'cookie' in proxy.sticky ? { stickyCookie: proxy.sticky.cookie } : {}),
    ...(proxy.sticky && 'header' in proxy.sticky ? { stickyHeader: proxy.sticky.header } : {}),
    ...(proxy.forceReleaseHeader ? { forceReleaseHeader: proxy.forceReleaseHeader } : {}),
  };
}
