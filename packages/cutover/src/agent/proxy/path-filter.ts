import { pathHasPrefix } from './router.ts';

/**
 * Which request paths a route counts in its release counters: with `include`, only paths under
 * one of its prefixes; never those under an `exclude` prefix. Lets a latency gate leave out
 * server-sent events, long polls and uploads, whose duration says nothing about the release.
 */
export class PathFilter {
  readonly #include: readonly string[] | null;
  readonly #exclude: readonly string[];

  constructor(spec: { include?: readonly string[]; exclude?: readonly string[] }) {
    this.#include = spec.include && spec.include.length > 0 ? spec.include.map(trimSlash) : null;
    this.#exclude = (spec.exclude ?? []).map(trimSlash);
  }

  /** Null when the spec filters nothing: the plain path, no check per request. */
  static of(spec: { include?: readonly string[]; exclude?: readonly string[] } | undefined): PathFilter | null {
    if (spec === undefined || ((spec.include?.length ?? 0) === 0 && (spec.exclude?.length ?? 0) === 0)) return null;
    return new PathFilter(spec);
  }

  /** `url` as the client sent it (normalised, prefix not stripped), query included. */
  counts(url: string): boolean {
    if (this.#include !== null && !this.#include.some((prefix) => pathHasPrefix(url, prefix))) return false;
    return !this.#exclude.some((prefix) => pathHasPrefix(url, prefix));
  }
}

function trimSlash(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
