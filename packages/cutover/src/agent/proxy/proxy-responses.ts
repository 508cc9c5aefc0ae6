import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { buildRawResponseHead } from './forward-headers.ts';

/** The proxy's own answers: short plain text saying which side failed, never cached. */
function errorHeaders(body: string, retryAfterS: number | null): string[] {
  const headers = [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(body)),
    'Cache-Control',
    'no-store',
    'X-Content-Type-Options',
    'nosniff',
  ];
  if (retryAfterS !== null) headers.push('Retry-After', String(retryAfterS));
  return headers;
}

export function writeProxyError(res: ServerResponse, status: number, message: string, retryAfterS: number | null = null): void {
  const body = `cutover proxy: ${message}\n`;
  res.writeHead(status, errorHeaders(body, retryAfterS));
  res.end(body);
}

/** The same answer on a raw socket (an upgrade request has no ServerResponse); the connection ends. */
export function writeRawProxyError(socket: Socket, status: number, message: string, retryAfterS: number | null = null): void {
  if (socket.destroyed) return;
  const body = `cutover proxy: ${message}\n`;
  const headers = errorHeaders(body, retryAfterS);
  headers.push('Connection', 'close');
  socket.end(buildRawResponseHead(status, STATUS_CODES[status] ?? '', headers) + body);
}
