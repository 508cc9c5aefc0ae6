import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ProxyServer, type RouteSpec } from '../../../src/agent/proxy/proxy-server.ts';

/** Real upstream app on 127.0.0.1:0 that counts its connections and requests. */
export interface Upstream {
  id: string;
  port: number;
  server: http.Server;
  /** Connections accepted so far, and those still open. */
  connections: number;
  open: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** Answers JSON describing the request; `/slow?ms=N` waits N ms first. */
export function echo(id: string): Handler {
  return (req, res, body) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    const answer = (): void => {
      if (res.destroyed) return;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify({ id, method: req.method, url: req.url, headers: req.headers, body }));
    };
    if (ms === 0) return answer();
    const timer = setTimeout(answer, ms);
    res.on('close', () => clearTimeout(timer));
  };
}

/** A test context (or null): what it starts is closed after the test, pass or fail. */
export type Cleanup = { after(fn: () => unknown): void } | null;

export async function startUpstream(t: Cleanup, id: string, handler: Handler = echo(id)): Promise<Upstream> {
  const upstream: Upstream = { id, port: 0, server: http.createServer(), connections: 0, open: 0, requests: [], close: async () => {} };
  upstream.server.on('connection', (socket: Socket) => {
    upstream.connections++;
    upstream.open++;
    socket.on('close', () => upstream.open--);
  });
  upstream.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      upstream.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  upstream.port = (upstream.server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  upstream.close = () => {
    closed ??= new Promise<void>((resolve) => {
      upstream.server.close(() => resolve());
      upstream.server.closeAllConnections();
    });
    return closed;
  };
  t?.after(() => upstream.close());
  return upstream;
}

export function route(service: string, extra: Partial<RouteSpec> = {}): RouteSpec {
  return { service, hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 5000, websocketGraceMs: 1000, ...extra };
}

export async function startProxy(
  t: Cleanup,
  options: Partial<ConstructorParameters<typeof ProxyServer>[0]> = {},
): Promise<{ proxy: ProxyServer; port: number; httpsPort?: number }> {
  const proxy = new ProxyServer({ httpPort: 0, listenHost: '127.0.0.1', ...options });
  t?.after(() => proxy.close());
  const ports = await proxy.listen();
  return { proxy, port: ports.httpPort, httpsPort: ports.httpsPort };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether the client reused a pooled connection. */
  reused: boolean;
}

export interface Ask {
  port: number;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent?: http.Agent | false;
  tls?: { ca: Buffer };
  timeoutMs?: number;
}

/** One request with a hard time limit; rejects on socket errors. */
export function ask(options: Ask): Promise<Reply> {
  const lib = options.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
        ca: options.tls?.ca,
        servername: options.tls ? 'localhost' : undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), reused: req.reusedSocket }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`request ${options.path ?? '/'} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export function json<T = Record<string, unknown>>(reply: Reply): T {
  return JSON.parse(reply.body) as T;
}

/** Resolves when `check` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, label: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects if `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether a promise is still pending after the current macrotask queue drained. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const result = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return result === marker;
}
