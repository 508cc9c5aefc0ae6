import type { Balanced, LoadBalancer } from './load-balancer.ts';

/** How a route keeps a client on one release during a canary, and lets testers choose one. */
export interface AffinitySpec {
  /** Cookie the proxy sets to the release it chose; a client sending it back stays on that release. */
  stickyCookie?: string;
  /** Request header whose value is hashed onto the weight range (a user or tenant id). */
  stickyHeader?: string;
  /** Request header naming the release to use (e.g. `X-Cutover-Release: v2`), weighted or not. */
  forceReleaseHeader?: string;
}

export interface AffinityPick<T> {
  target: T | null;
  /** The release the request is pinned to (a retry stays in it when it can); null when none. */
  release: string | null;
  /** A Set-Cookie value for the response, when the client must learn (or change) its release. */
  setCookie: string | null;
}

/** How many releases' Set-Cookie values one route keeps built. */
const MAX_CACHED_COOKIES = 16;

/**
 * Release choice for routes that configure affinity; routes that do not never reach this code.
 * In order: a forced release (when it has an eligible target), then, while release weights are
 * split between releases, the client's sticky release (cookie, or the header's hash slice) when it
 * still has a share and an eligible target, else the weighted choice (which the cookie then
 * records). Without a split stickiness has nothing to keep: no cookie is set, a held one is cleared.
 */
export class ReleaseAffinity {
  readonly #cookie: string | null;
  readonly #cookiePrefix: string;
  readonly #header: string | null;
  readonly #force: string | null;
  readonly #clearCookie: string;
  /** Set-Cookie values by release, built once each (a route sees a handful of releases). */
  readonly #setCookies = new Map<string, string>();

  constructor(spec: AffinitySpec) {
    this.#clearCookie = `${spec.stickyCookie ?? ''}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
    this.#cookie = spec.stickyCookie ?? null;
    this.#cookiePrefix = `${spec.stickyCookie ?? ''}=`;
    this.#header = spec.stickyHeader?.toLowerCase() ?? null;
    this.#force = spec.forceReleaseHeader?.toLowerCase() ?? null;
  }

  /** The affinity of a route, or null when it configures none (the plain, fastest path). */
  static of(spec: AffinitySpec): ReleaseAffinity | null {
    if (spec.stickyCookie === undefined && spec.stickyHeader === undefined && spec.forceReleaseHeader === undefined) return null;
    return new ReleaseAffinity(spec);
  }

  /** `headers` is the flat [name, value, ...] list of the request. */
  pick<T extends Balanced>(balancer: LoadBalancer<T>, targets: readonly T[], nowMs: number, headers: readonly string[]): AffinityPick<T> {
    let forced: string | null = null;
    let sticky: string | null = null;
    let cookie: string | null = null;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      // Cheap length test first: most headers are none of ours.
      if (this.#force !== null && name.length === this.#force.length && name.toLowerCase() === this.#force) forced = headers[i + 1].trim();
      else if (this.#header !== null && name.length === this.#header.length && name.toLowerCase() === this.#header) sticky = headers[i + 1];
      else if (this.#cookie !== null && name.length === 6 && name.toLowerCase() === 'cookie')
        cookie ??= readCookie(headers[i + 1], this.#cookiePrefix);
    }
    if (forced !== null && forced !== '') {
      const target = balancer.pickInRelease(targets, nowMs, forced);
      if (target !== null) return { target, release: forced, setCookie: null };
    }
    if (!balancer.isSplit) {
      // Nothing to keep a client on (no weights, or one release takes everything, as before a canary's
      // first weight and after an abort): no cookie is handed out, and one held from a split is cleared,
      // so the client is moved and told, and is free to land on the next canary.
      const target = balancer.pick(targets, nowMs);
      return { target, release: null, setCookie: cookie !== null && target !== null ? this.#clearCookie : null };
    }
    if (this.#header !== null && sticky !== null) {
      const release = balancer.releaseAt(hashFraction(sticky));
      const target = release === null ? null : balancer.pickInRelease(targets, nowMs, release);
      if (target !== null) return { target, release, setCookie: null };
    }
    if (this.#cookie !== null && cookie !== null && balancer.isWeighted(cookie)) {
      const target = balancer.pickInRelease(targets, nowMs, cookie);
      if (target !== null) return { target, release: cookie, setCookie: null };
    }
    const target = balancer.pick(targets, nowMs);
    if (target === null) return { target, release: null, setCookie: null };
    const setCookie =
      this.#cookie !== null && target.release !== cookie && balancer.isWeighted(target.release) ? this.#setCookieFor(target.release) : null;
    return { target, release: target.release, setCookie };
  }

  #setCookieFor(release: string): string {
    let value = this.#setCookies.get(release);
    if (value === undefined) {
      // Releases come and go over an agent's life: start over rather than keep every one.
      if (this.#setCookies.size >= MAX_CACHED_COOKIES) this.#setCookies.clear();
      value = `${this.#cookie}=${encodeURIComponent(release)}; Path=/; HttpOnly; SameSite=Lax`;
      this.#setCookies.set(release, value);
    }
    return value;
  }
}

/** The decoded value of one cookie in a Cookie header (`prefix` is `name=`); null when absent. */
export function readCookie(header: string, prefix: string): string | null {
  let start = 0;
  while (start < header.length) {
    while (header.charCodeAt(start) === 32) start++;
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    if (header.startsWith(prefix, start)) {
      const raw = header.slice(start + prefix.length, end).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return null;
      }
    }
    start = end + 1;
  }
  return null;
}

/**
 * FNV-1a of the text, mixed by murmur3's finalizer (FNV alone leaves the high bits of short, similar
 * ids such as "u1", "u2" poorly spread), mapped onto [0, 1): stable across processes and restarts.
 */
export function hashFraction(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 4294967296;
}
