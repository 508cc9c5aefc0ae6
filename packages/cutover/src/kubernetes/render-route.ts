import { type Manifest, metadata, type RenderContext, unsupported } from './render-context.ts';

/** The route into the routed Services: a Gateway API HTTPRoute (weights for a canary) or an Ingress. */
export function renderRoute(ctx: RenderContext, type: string, backends: { name: string; weight?: number }[]): Manifest[] {
  const route = ctx.k8s.route;
  if (route === undefined) return [];
  const proxy = ctx.config.proxy;
  const port = ctx.k8s.service.port;
  const name = ctx.config.service;
  if (route.kind === 'gateway') {
    const hostnames = route.hostnames ?? proxy.hosts;
    const rewrite =
      proxy.stripPrefix && proxy.pathPrefix !== '/'
        ? [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }]
        : [];
    return [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: metadata(ctx, name, type),
        spec: {
          parentRefs: [
            {
              name: route.gateway.name,
              ...(route.gateway.namespace ? { namespace: route.gateway.namespace } : {}),
              ...(route.gateway.sectionName ? { sectionName: route.gateway.sectionName } : {}),
            },
          ],
          ...(hostnames.length > 0 ? { hostnames } : {}),
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: proxy.pathPrefix } }],
              ...(rewrite.length > 0 ? { filters: rewrite } : {}),
              backendRefs: backends.map((b) => ({ name: b.name, port, ...(b.weight === undefined ? {} : { weight: b.weight }) })),
            },
          ],
        },
      },
    ];
  }
  if (proxy.stripPrefix) {
    unsupported(ctx, 'proxy.stripPrefix', 'an Ingress cannot strip a prefix portably: use kubernetes.route.kind: gateway (a URLRewrite)');
  }
  const hosts = route.hosts ?? proxy.hosts;
  const backend = backends[0]?.name ?? name;
  const http = { paths: [{ path: proxy.pathPrefix, pathType: 'Prefix', backend: { service: { name: backend, port: { number: port } } } }] };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: metadata(ctx, name, type),
      spec: {
        ...(route.className ? { ingressClassName: route.className } : {}),
        ...(route.tlsSecret && hosts.length > 0 ? { tls: [{ hosts, secretName: route.tlsSecret }] } : {}),
        rules: hosts.length > 0 ? hosts.map((host) => ({ host, http })) : [{ http }],
      },
    },
  ];
}
