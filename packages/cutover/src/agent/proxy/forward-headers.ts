/**
 * Header rewriting between client and upstream, on Node's flat raw header arrays
 * (`[name, value, name, value, …]`): they keep the client's spelling and repeated headers, and
 * building one avoids the per-request header object.
 */

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Whether a header name of this length can be one of HOP_BY_HOP, REPLACED_ON_REQUEST, host or
 * content-length: most names are not, and need no lower-casing.
 */
const SPECIAL_LENGTHS = new Uint8Array(32);
for (const name of [...HOP_BY_HOP, 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect', 'host', 'content-length'])
  SPECIAL_LENGTHS[name.length] = 1;

/** Set by the proxy itself; `expect` is dropped because Node has already answered `100 Continue`. */
const REPLACED_ON_REQUEST = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect']);

export interface UpstreamHead {
  headers: string[];
  /** The Host header as sent (empty when absent). */
  host: string;
  /** Whether a body follows (Content-Length above 0 or Transfer-Encoding). */
  hasBody: boolean;
}

/**
 * The request headers for the upstream: hop-by-hop headers (and those named in Connection) removed,
 * X-Forwarded-For appended to, X-Forwarded-Proto and X-Forwarded-Host set. A chunked body is
 * re-chunked on the upstream hop (by the client, which frames a body without Content-Length so). `keepUpgrade` forwards the client's Upgrade request (WebSockets).
 */
export function buildUpstreamHeaders(
  raw: readonly string[],
  clientAddress: string,
  proto: 'http' | 'https',
  keepUpgrade = false,
): UpstreamHead {
  const headers: string[] = [];
  let host = '';
  let forwardedFor = '';
  let hasBody = false;
  let chunked = false;
  let connection = '';
  let upgrade = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.length >= 32 || SPECIAL_LENGTHS[name.length] === 0) {
      headers.push(name, value);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') connection = connection === '' ? value : connection + ',' + value;
      else if (lower === 'transfer-encoding') chunked = hasBody = true;
      else if (lower === 'upgrade') upgrade = value;
      continue;
    }
    if (REPLACED_ON_REQUEST.has(lower)) {
      if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === '' ? value : forwardedFor + ', ' + value;
      continue;
    }
    if (lower === 'host') host = value;
    else if (lower === 'content-length' && value !== '0') hasBody = true;
    headers.push(name, value);
  }
  // The upstream client frames a body of unknown length as chunked itself.
  if (chunked) removeHeader(headers, 'content-length');
  const address = clientAddress.startsWith('::ffff:') ? clientAddress.slice(7) : clientAddress;
  headers.push('X-Forwarded-For', forwardedFor === '' ? address : forwardedFor + ', ' + address, 'X-Forwarded-Proto', proto);
  if (host !== '') headers.push('X-Forwarded-Host', host);
  if (keepUpgrade && upgrade !== '') headers.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  if (connection !== '') removeConnectionListed(headers, connection);
  return { headers, host, hasBody };
}

/**
 * The upstream response headers for the client: hop-by-hop ones removed (Node frames the body anew).
 * `raw` is Node's (upgrades), latin1-decoded strings or Buffers; Buffers are decoded so too, so that
 * the client gets the bytes the app sent. A new array; the original is left as it is.
 */
export function buildClientResponseHeaders(raw: readonly (string | Buffer)[]): string[] {
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i++) headers.push(latin1(raw[i]));
  return stripResponseHopByHop(headers);
}

/**
 * Removes the hop-by-hop headers (and those named in Connection) from a flat response header list
 * in place, keeping the order of the others, and returns it: the upstream client's header list is
 * the proxy's own, so the common case (nothing to remove but Connection and Keep-Alive) copies nothing.
 */
export function stripResponseHopByHop(headers: string[]): string[] {
  let connection = '';
  let kept = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length < 32 && SPECIAL_LENGTHS[name.length] === 1) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') connection = connection === '' ? headers[i + 1] : connection + ',' + headers[i + 1];
        continue;
      }
    }
    if (kept !== i) {
      headers[kept] = name;
      headers[kept + 1] = headers[i + 1];
    }
    kept += 2;
  }
  headers.length = kept;
  if (connection !== '') removeConnectionListed(headers, connection);
  return headers;
}

function latin1(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

/** Serializes a response head for a raw socket (upgrades, and answers written before any HTTP framing). */
export function buildRawResponseHead(status: number, statusMessage: string, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return head + '\r\n';
}

/** Removes the headers a Connection header names (other than the standard tokens). */
function removeConnectionListed(headers: string[], connection: string): void {
  // The usual values name no header: skip the split on the hot path.
  if (connection.length <= 10 && /^(keep-alive|close|upgrade)$/i.test(connection)) return;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (
      name !== '' &&
      name !== 'close' &&
      name !== 'keep-alive' &&
      name !== 'upgrade' &&
      name !== 'host' &&
      !name.startsWith('x-forwarded-')
    )
      removeHeader(headers, name);
  }
}

function removeHeader(headers: string[], lowerName: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i].toLowerCase() === lowerName) headers.splice(i, 2);
  }
}
