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
    ...(proxy.sticky && 'cookie' in proxy.sticky ? { stickyCookie: proxy.sticky.cookie } : {}),
    ...(proxy.sticky && 'header' in proxy.sticky ? { stickyHeader: proxy.sticky.header } : {}),
    ...(proxy.forceReleaseHeader ? { forceReleaseHeader: proxy.forceReleaseHeader } : {}),
  };
}
