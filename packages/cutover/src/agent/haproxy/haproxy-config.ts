import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_RESPONSE_TIMEOUT_MS } from '../proxy/proxy-service.ts';
import type { RouteSpec } from '../proxy/proxy-types.ts';
import { normalizePathPrefix } from '../proxy/router.ts';
import { backendName, slotName } from './haproxy-names.ts';

/** Server slots declared per backend: instances join and leave through the runtime API, never a reload. */
export const DEFAULT_SLOTS_PER_BACKEND = 64;
/** Idle client connections are kept as long as the Node proxy keeps them (CLIENT_KEEP_ALIVE_TIMEOUT_MS). */
export const HAPROXY_CLIENT_TIMEOUT_MS = 75_000;
/** Upgraded connections (WebSockets) may stay idle this long. */
export const HAPROXY_TUNNEL_TIMEOUT_MS = 3_600_000;
/** Every finished request is logged to stdout in this format; the agent reads it for its counters. */
export const LOG_PREFIX = 'cutover';
export const LOG_FORMAT = `${LOG_PREFIX} %b %s %ST %Ta %tsc %HP`;

/** What a slot holds in HAProxy: `maint` for an empty slot, `drain` for one leaving or unhealthy. */
export interface SlotConfig {
  host: string;
  port: number;
  state: 'ready' | 'drain' | 'maint';
  weight: number;
}

export interface RenderedService {
  spec: RouteSpec;
  slots: readonly SlotConfig[];
}

export interface HaproxyConfigInput {
  listenHost: string;
  listenPort: number;
  /** The runtime API (stats socket, admin level, mode 0600). */
  socketPath: string;
  services: readonly RenderedService[];
}

/** An empty slot points at a port nothing listens on (it is in maintenance anyway). */
export const EMPTY_SLOT: SlotConfig = { host: '127.0.0.1', port: 1, state: 'maint', weight: 1 };

/**
 * The whole config of the agent's HAProxy: one frontend on the proxy port routing by host and path
 * prefix the way the Node proxy's router does, one backend per service with its slots. HAProxy
 * does no health check of its own: the agent puts only healthy instances in `ready`.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const services = [...input.services].sort((a, b) => a.spec.service.localeCompare(b.spec.service));
  const lines = [
    '# Written by the cutover agent; it is rewritten whenever a route changes. Do not edit.',
    'global',
    `  stats socket ${input.socketPath} mode 600 level admin expose-fd listeners`,
    '  stats timeout 30s',
    '  log stdout format raw local0 info',
    '',
    'defaults',
    '  mode http',
    '  log global',
    `  log-format "${LOG_FORMAT}"`,
    '  option http-keep-alive',
    '  http-reuse safe',
    '  retries 3',
    '  retry-on conn-failure empty-response',
    '  option redispatch 1',
    `  timeout connect ${DEFAULT_CONNECT_TIMEOUT_MS}ms`,
    `  timeout server ${DEFAULT_RESPONSE_TIMEOUT_MS}ms`,
    `  timeout client ${HAPROXY_CLIENT_TIMEOUT_MS}ms`,
    `  timeout http-keep-alive ${HAPROXY_CLIENT_TIMEOUT_MS}ms`,
    `  timeout http-request ${HAPROXY_CLIENT_TIMEOUT_MS + 1000}ms`,
    `  timeout tunnel ${HAPROXY_TUNNEL_TIMEOUT_MS}ms`,
    '',
    'frontend cutover',
    `  bind ${input.listenHost.includes(':') ? `[${input.listenHost}]` : input.listenHost}:${input.listenPort}`,
    '  option forwardfor',
    '  http-request set-header X-Forwarded-Proto http',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    ...frontendRules(services.map((s) => s.spec)),
    '  default_backend cutover_no_route',
    '',
    'backend cutover_no_route',
    '  http-request return status 404 content-type text/plain lf-string "no service matches host \\"%[req.hdr(host)]\\" and path \\"%[path]\\"\\n"',
  ];
  for (const service of services) lines.push('', ...backendLines(service));
  return `${lines.join('\n')}\n`;
}

interface Rule {
  /** 0 exact host, 1 wildcard host, 2 any host: tried in this order, like the Node router. */
  hostClass: number;
  prefix: string;
  backend: string;
  hostAcl: string | null;
  pathAcl: string | null;
}

function frontendRules(specs: readonly RouteSpec[]): string[] {
  const acls: string[] = [];
  const rules: Rule[] = [];
  specs.forEach((spec, index) => {
    const prefix = normalizePathPrefix(spec.pathPrefix, spec.service);
    const backend = backendName(spec.service);
    let pathAcl: string | null = null;
    if (prefix !== '/') {
      pathAcl = `p${index}`;
      acls.push(`  acl ${pathAcl} path -m str ${prefix}`, `  acl ${pathAcl} path -m beg ${prefix}/`);
    }
    const hosts = spec.hosts.map((host) => host.trim().toLowerCase().replace(/\.$/, ''));
    const exact = hosts.filter((host) => !host.startsWith('*.'));
    const wildcard = hosts.filter((host) => host.startsWith('*.'));
    if (exact.length > 0) {
      acls.push(`  acl h${index}x req.hdr(host),field(1,:),lower -m str ${exact.join(' ')}`);
      rules.push({ hostClass: 0, prefix, backend, hostAcl: `h${index}x`, pathAcl });
    }
    if (wildcard.length > 0) {
      for (const host of wildcard) acls.push(`  acl h${index}w req.hdr(host),field(1,:),lower -m reg ^[^.]+${escapeRegex(host.slice(1))}$`);
      rules.push({ hostClass: 1, prefix, backend, hostAcl: `h${index}w`, pathAcl });
    }
    if (hosts.length === 0) rules.push({ hostClass: 2, prefix, backend, hostAcl: null, pathAcl });
  });
  rules.sort((a, b) => a.hostClass - b.hostClass || b.prefix.length - a.prefix.length);
  return [
    ...acls,
    ...rules.map((rule) => {
      const conditions = [rule.hostAcl, rule.pathAcl].filter((c) => c !== null);
      return `  use_backend ${rule.backend}${conditions.length > 0 ? ` if ${conditions.join(' ')}` : ''}`;
    }),
  ];
}

function backendLines({ spec, slots }: RenderedService): string[] {
  const prefix = normalizePathPrefix(spec.pathPrefix, spec.service);
  const lines = [
    `backend ${backendName(spec.service)}`,
    '  balance roundrobin',
    // Requests that may have reached the app are replayed only when that is harmless, as by the Node proxy.
    '  http-request disable-l7-retry unless { method GET HEAD OPTIONS }',
    `  http-request return status 503 content-type text/plain string "service ${spec.service} has no healthy target" hdr retry-after 1 if { nbsrv eq 0 }`,
  ];
  if (spec.stripPrefix && prefix !== '/') lines.push(`  http-request replace-path ^${escapeRegex(prefix)}(?:/(.*))?$ /\\1`);
  lines.push(
    `  timeout connect ${spec.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS}ms`,
    // HAProxy has one server-side inactivity timeout for the response head and the body alike.
    `  timeout server ${Math.max(spec.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS, spec.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)}ms`,
  );
  for (const [index, slot] of slots.entries()) lines.push(`  ${serverLine(slotName(index), slot)}`);
  return lines;
}

/** A slot as declared in the config: HAProxy has no config keyword for `drain`, so a draining slot starts out disabled. */
function serverLine(name: string, slot: SlotConfig): string {
  const address = slot.host.includes(':') ? `[${slot.host}]` : slot.host;
  return `server ${name} ${address}:${slot.port} weight ${slot.weight}${slot.state === 'ready' ? '' : ' disabled'}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
