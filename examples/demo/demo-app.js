// The demo service used by the quick start, the end-to-end tests and the benchmarks.
// Each release directory starts it with its own behaviour (see releases/*/server.js).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

/**
 * @param {{ version: string, bootDelayMs?: number, neverReady?: boolean, crashAfterReadyMs?: number,
 *           errorRate?: number, extraLatencyMs?: number }} options
 */
export function serveDemo(options) {
  const port = Number(process.env.PORT ?? 3000);
  const { version, bootDelayMs = 0, neverReady = false, crashAfterReadyMs, errorRate = 0, extraLatencyMs = 0 } = options;
  const bootedAt = Date.now() + bootDelayMs;
  let crashScheduled = false;
  let requests = 0;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    if (url.pathname === '/up') {
      const ready = !neverReady && Date.now() >= bootedAt;
      if (ready && crashAfterReadyMs !== undefined && !crashScheduled) {
        crashScheduled = true;
        setTimeout(() => process.exit(1), crashAfterReadyMs).unref();
      }
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok' : 'booting');
      return;
    }
    requests++;
    const delayMs = (url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? 1000) : 0) + extraLatencyMs;
    const fail = errorRate > 0 && Math.random() < errorRate;
    const answer = () => {
      const body = JSON.stringify({ version, pid: process.pid, requests, path: url.pathname });
      res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json', 'x-release': version }).end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });

  const sockets = new WebSocketServer({ server, path: '/ws' });
  sockets.on('connection', (socket) => {
    socket.send(JSON.stringify({ version }));
    socket.on('message', (data) => socket.send(data));
  });

  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1');
  const stop = () => {
    for (const client of sockets.clients) client.close(1001, 'shutting down');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
