import { CutoverError } from '../../errors/cutover-error.ts';

export interface RouterEntry<T> {
  /** Exact names or `*.example.com`; empty means any host. */
  hosts: readonly string[];
  pathPrefix: string;
  value: T;
  /** Named in conflict errors. */
  name: string;
}

interface PrefixEntry<T> {
  prefix: string;
  value: T;
  name: string;
}

/**
 * Picks the entry for a request's host and path. Host classes are tried from the most specific
 * (exact name, then `*.parent`, then any host) and a class without a matching prefix falls through
 * to the next; within a class the longest path prefix wins. Built once per route change, so `match`
 * only does map look-ups and `startsWith` on a list already sorted longest first.
 */
export class Router<T> {
  readonly #exact = new Map<string, PrefixEntry<T>[]>();
  readonly #wildcard = new Map<string, PrefixEntry<T>[]>();
  readonly #anyHost: PrefixEntry<T>[] = [];

  constructor(entries: readonly RouterEntry<T>[]) {
    for (const entry of entries) {
      const prefix = normalizePathPrefix(entry.pathPrefix, entry.name);
      const hosts = new Set(entry.hosts.map((host) => normalizeHostPattern(host, entry.name)));
      if (hosts.size === 0) this.#add(this.#anyHost, prefix, entry, '*');
      for (const host of hosts) {
        const wildcard = host.startsWith('*.');
        const map = wildcard ? this.#wildcard : this.#exact;
        const key = wildcard ? host.slice(2) : host;
        let list = map.get(key);
        if (!list) {
          list = [];
          map.set(key, list);
        }
        this.#add(list, prefix, entry, host);
      }
    }
  }

  /** `host` as sent in the Host header (any case, optional port); `url` as in the request line. */
  match(host: string, url: string): T | null {
    const name = normalizeRequestHost(host);
    const exact = this.#exact.get(name);
    if (exact) {
      const hit = matchPrefix(exact, url);
      if (hit) return hit.value;
    }
    if (this.#wildcard.size > 0) {
      const dot = name.indexOf('.');
      const list = dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined;
      if (list) {
        const hit = matchPrefix(list, url);
        if (hit) return hit.value;
      }
    }
    return matchPrefix(this.#anyHost, url)?.value ?? null;
  }

  #add(list: PrefixEntry<T>[], prefix: string, entry: RouterEntry<T>, host: string): void {
    const clash = list.find((existing) => existing.prefix === prefix);
    if (clash) {
      throw new CutoverError(
        'CUT_ERR_AGENT_ROUTE_INVALID',
        `services ${clash.name} and ${entry.name} both claim host ${host} path ${prefix}`,
        {
          where: `proxy route ${entry.name}`,
          hint: 'give one of the services another host or path prefix (proxy.hosts, proxy.pathPrefix in cutover.yml)',
          details: { host, pathPrefix: prefix, services: [clash.name, entry.name] },
        },
      );
    }
    list.push({ prefix, value: entry.value, name: entry.name });
    list.sort((a, b) => b.prefix.length - a.prefix.length);
  }
}

function matchPrefix<T>(list: readonly PrefixEntry<T>[], url: string): PrefixEntry<T> | null {
  for (const entry of list) {
    if (pathHasPrefix(url, entry.prefix)) return entry;
  }
  return null;
}

/** Segment-aware: `/api` matches `/api`, `/api/x` and `/api?q`, not `/apix`; `/` matches everything. */
export function pathHasPrefix(url: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (!url.startsWith(prefix)) return false;
  if (url.length === prefix.length) return true;
  const next = url.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}

/** The path forwarded upstream when the route strips its prefix: `/api/x?q` → `/x?q`, `/api` → `/`. */
export function stripPathPrefix(url: string, prefix: string): string {
  if (prefix === '/' || !url.startsWith(prefix)) return url;
  const rest = url.slice(prefix.length);
  return rest.length === 0 || rest.charCodeAt(0) === 63 ? '/' + rest : rest;
}

/** Lower case, without port and trailing dot; `[::1]:8080` → `[::1]`. */
export function normalizeRequestHost(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    end = host.indexOf(']') + 1 || end;
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  const name = end === host.length ? host : host.slice(0, end);
  return hasUpperCase(name) ? name.toLowerCase() : name;
}

function hasUpperCase(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 65 && code <= 90) return true;
  }
  return false;
}

const HOST_PATTERN = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/;

function normalizeHostPattern(host: string, service: string): string {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  if (!HOST_PATTERN.test(name)) {
    throw new CutoverError('CUT_ERR_AGENT_ROUTE_INVALID', `service ${service} has an invalid host "${host}"`, {
      where: `proxy route ${service}`,
      hint: 'use a host name without scheme or port, e.g. app.example.com, or a wildcard such as *.example.com',
      details: { host },
    });
  }
  return name;
}

/** `/api/` → `/api`; the root stays `/`. */
export function normalizePathPrefix(prefix: string, service: string): string {
  if (!prefix.startsWith('/') || /[?#\s]/.test(prefix)) {
    throw new CutoverError('CUT_ERR_AGENT_ROUTE_INVALID', `service ${service} has an invalid path prefix "${prefix}"`, {
      where: `proxy route ${service}`,
      hint: 'a path prefix starts with / and has no query, fragment or spaces, e.g. /api',
      details: { pathPrefix: prefix },
    });
  }
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
