/**
 * The path a request is routed by and forwarded with: `.` and `..` segments resolved (also when
 * written `%2e`), runs of `/` collapsed, the query kept as sent. Without it `/payments/../auth`
 * would match the payments prefix and reach a payments instance that then resolves it to /auth.
 * A `..` above the root stays at the root, as in RFC 3986's remove_dot_segments.
 *
 * Most paths have nothing to normalise: one scan finds that and returns the url itself.
 */
export function normalizeRequestPath(url: string): string {
  const query = url.indexOf('?');
  const end = query === -1 ? url.length : query;
  if (!needsNormalizing(url, end)) return url;
  const path = url.slice(0, end).replace(/%2e/gi, '.');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const last = path.slice(path.lastIndexOf('/') + 1);
  const trailingSlash = out.length > 0 && (last === '' || last === '.' || last === '..');
  const normalized = `/${out.join('/')}${trailingSlash ? '/' : ''}`;
  return query === -1 ? normalized : normalized + url.slice(query);
}

function needsNormalizing(url: string, end: number): boolean {
  // Absolute-form (`http://h/x`) and `*` are not origin-form paths: they route as they are.
  if (url.charCodeAt(0) !== 47 /* / */) return false;
  for (let i = 0; i < end; i++) {
    const code = url.charCodeAt(i);
    if (code === 37 /* % */ && url.charCodeAt(i + 1) === 50 /* 2 */ && (url.charCodeAt(i + 2) | 0x20) === 101 /* e */) return true;
    if (code !== 47) continue;
    const next = url.charCodeAt(i + 1);
    if (next === 47) return true;
    if (next === 46 /* . */) {
      const after = url.charCodeAt(i + 2);
      if (i + 2 >= end || after === 47 || (after === 46 && (i + 3 >= end || url.charCodeAt(i + 3) === 47))) return true;
    }
  }
  return false;
}
