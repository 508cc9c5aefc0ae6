/**
 * One process of `bench/proxy-floor.bench.ts`, by mode (argv[2]); listens on PORT and says `ready`
 * over IPC. APP_PORT is the app's port for the proxies.
 * - app: the demo app (examples/demo), as in bench:proxy;
 * - bare: a node:http server that writes the demo app's answer itself (no upstream);
 * - undici: node:http server + undici Pool.dispatch, nothing else: the least a proxy built on undici does;
 * - client: node:http server + cutover's own upstream client (UpstreamClient), nothing else: the same
 *   as undici with the client the proxy uses;
 * - raw: node:http server + a hand-written HTTP/1.1 client on net sockets (answers framed by
 *   Content-Length or chunked, nothing else: no timeouts, no errors handled, no 1xx): the least any
 *   Node proxy does;
 * - cutover: cutover's ProxyServer with the features bench:proxy turns on (sticky cookie, split weights, retries, counters).
 * Measurement only: the floors are not proxies anyone should run.
 */
import http from 'node:http';
import net from 'node:net';
import { Pool } from 'undici';
import { ProxyServer } from '../../packages/cutover/src/agent/proxy/proxy-server.ts';
import { UpstreamClient, type UpstreamHandler } from '../../packages/cutover/src/agent/proxy/upstream-client.ts';

const mode = process.argv[2];
const port = Number(process.env.PORT);
const appPort = Number(process.env.APP_PORT);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function serve(handler: http.RequestListener): void {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 75_000;
  server.listen(port, '127.0.0.1', () => process.send?.('ready'));
}

if (mode === 'app') {
  const demo = new URL('../../examples/demo/demo-app.js', import.meta.url).href;
  const { serveDemo } = (await import(demo)) as { serveDemo: (options: { version: string }) => http.Server };
  serveDemo({ version: 'v1' }).on('listening', () => process.send?.('ready'));
} else if (mode === 'bare') {
  let requests = 0;
  serve((_req, res) => {
    requests++;
    const body = JSON.stringify({ version: 'v1', pid: process.pid, requests, path: '/' });
    res.writeHead(200, { 'content-type': 'application/json', 'x-release': 'v1' }).end(body);
  });
} else if (mode === 'undici') {
  const pool = new Pool(`http://127.0.0.1:${appPort}`, { connections: null, pipelining: 1 });
  serve((req, res) => {
    pool.dispatch(
      { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.rawHeaders, body: null },
      {
        onRequestStart() {},
        onResponseStart(controller, status, _headers, message) {
          const raw = (controller as unknown as { rawHeaders: Buffer[] }).rawHeaders;
          const headers: string[] = [];
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i].toString('latin1');
            if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, raw[i + 1].toString('latin1'));
          }
          res.writeHead(status, message, headers);
        },
        onResponseData(_controller, chunk) {
          res.write(chunk);
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError(_controller, error) {
          res.destroy(error);
        },
      },
    );
  });
} else if (mode === 'client') {
  const client = new UpstreamClient({ host: '127.0.0.1', port: appPort, idleTimeoutMs: 4000, keepAliveHintMarginMs: 1000 });
  serve((req, res) => {
    const handler: UpstreamHandler = {
      onRequestStart() {},
      onResponseStart(_controller, status, raw, message) {
        const headers: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1]);
        res.writeHead(status, message, headers);
      },
      onResponseData(_controller, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(error) {
        res.destroy(error);
      },
    };
    client.dispatch(
      {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.rawHeaders,
        body: null,
        connectMs: 10_000,
        headersMs: 60_000,
        bodyIdleMs: 60_000,
      },
      handler,
    );
  });
} else if (mode === 'raw') {
  serveRaw();
} else if (mode === 'cutover') {
  const proxy = new ProxyServer({ httpPort: port, listenHost: '127.0.0.1' });
  await proxy.listen();
  proxy.setRoute({
    service: 'bench',
    hosts: [],
    pathPrefix: '/',
    stripPrefix: false,
    drainTimeoutMs: 30_000,
    websocketGraceMs: 10_000,
    stickyCookie: 'cutover-release',
    forceReleaseHeader: 'x-cutover-release',
  });
  proxy.addTarget('bench', { id: 'v1.web.1', release: 'v1', host: '127.0.0.1', port: appPort });
  proxy.setReleaseWeights('bench', { v1: 99, v2: 1 });
  process.send?.('ready');
} else throw new Error(`unknown mode ${mode}`);

/** The raw floor: one answer at a time per upstream socket, idle sockets reused last in, first out. */
function serveRaw(): void {
  interface Upstream {
    socket: net.Socket;
    pending: Buffer | null;
    res: http.ServerResponse | null;
    inBody: boolean;
    chunked: boolean;
    length: number;
  }
  const idle: Upstream[] = [];
  const connect = (): Upstream => {
    const socket = net.connect(appPort, '127.0.0.1');
    socket.setNoDelay(true);
    const upstream: Upstream = { socket, pending: null, res: null, inBody: false, chunked: false, length: 0 };
    socket.on('data', (data: Buffer) => {
      upstream.pending = upstream.pending === null ? data : Buffer.concat([upstream.pending, data]);
      parse(upstream);
    });
    return upstream;
  };
  const parse = (socket: Upstream): void => {
    const res = socket.res;
    let buf = socket.pending;
    if (res === null || buf === null) return;
    if (!socket.inBody) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      buf = buf.subarray(end + 4);
      const headers: string[] = [];
      socket.chunked = false;
      socket.length = 0;
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(':');
        const name = lines[i].slice(0, colon);
        const value = lines[i].slice(colon + 1).trim();
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') socket.chunked = true;
        if (HOP_BY_HOP.has(lower)) continue;
        if (lower === 'content-length') socket.length = Number(value);
        headers.push(name, value);
      }
      res.writeHead(Number(lines[0].slice(9, 12)), headers);
      socket.inBody = true;
    }
    for (;;) {
      if (!socket.chunked) {
        if (buf.length < socket.length) break;
        if (socket.length > 0) res.write(buf.subarray(0, socket.length));
        buf = buf.subarray(socket.length);
        socket.length = 0;
        socket.inBody = false;
        break;
      }
      const eol = buf.indexOf('\r\n');
      if (eol === -1) break;
      const size = Number.parseInt(buf.toString('latin1', 0, eol), 16);
      if (buf.length < eol + 2 + size + 2) break;
      if (size > 0) res.write(buf.subarray(eol + 2, eol + 2 + size));
      buf = buf.subarray(eol + 4 + size);
      if (size === 0) {
        socket.inBody = false;
        break;
      }
    }
    socket.pending = buf.length === 0 ? null : buf;
    if (!socket.inBody) {
      res.end();
      socket.res = null;
      idle.push(socket);
    }
  };
  serve((req, res) => {
    const upstream = idle.pop() ?? connect();
    upstream.res = res;
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    upstream.socket.write(`${head}\r\n`, 'latin1');
  });
}
