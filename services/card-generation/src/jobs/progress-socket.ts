// WebSocket progress of bulk jobs: ws://<host>/api/v1/jobs/<id>/events. A client gets the job's
// state at once, then an event after every chunk commit (from the worker, through Redis pub/sub, so
// any api instance serves any job), and the socket closes (1000) once the job is finished. Clients
// that reconnect get the current state first, so nothing is lost in between; GET /api/v1/jobs/:id
// gives the same. Origins are checked against WEBSOCKET_CORS_ORIGIN; the server pings every
// WEBSOCKET_PING_INTERVAL ms and drops a client whose pong is WEBSOCKET_PING_TIMEOUT ms late.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import { type WebSocket, WebSocketServer } from 'ws';
import type { CardMetrics } from '../card-metrics.ts';
import type { RedisClient, RedisKeys } from '../redis/create-redis.ts';
import { FINISHED_STATES, findJob } from './bulk-job-store.ts';
import type { ProgressEvent } from './job-view.ts';

export const EVENTS_PATH = /^\/api\/v1\/jobs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/events$/i;

export interface ProgressSocketOptions {
  pool: pg.Pool;
  subscriber: RedisClient;
  keys: RedisKeys;
  allowedOrigins: readonly string[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  metrics: CardMetrics;
  logger: FastifyBaseLogger;
}

export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  // Non-browser clients send no Origin; browsers always do, and CORS is about browsers.
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function attachProgressSocket(server: Server, options: ProgressSocketOptions) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  const byJob = new Map<string, Set<WebSocket>>();
  const finished = new Set<string>(FINISHED_STATES);

  const send = (ws: WebSocket, event: ProgressEvent) => {
    ws.send(JSON.stringify(event));
    if (finished.has(event.state)) ws.close(1000, `job ${event.state}`);
  };

  options.subscriber.on('message', (channel: string, message: string) => {
    if (channel !== options.keys.jobProgressChannel) return;
    let event: ProgressEvent;
    try {
      event = JSON.parse(message) as ProgressEvent;
    } catch {
      return;
    }
    for (const ws of byJob.get(event.jobId) ?? []) send(ws, event);
  });
  const ready = options.subscriber.subscribe(options.keys.jobProgressChannel);

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    const match = EVENTS_PATH.exec(path);
    if (!match) return refuse(socket, 404, 'Not Found');
    if (!originAllowed(options.allowedOrigins, request.headers.origin)) return refuse(socket, 403, 'Forbidden');
    const jobId = match[1].toLowerCase();
    findJob(options.pool, jobId).then(
      (job) => {
        if (!job) return refuse(socket, 404, 'Not Found');
        wss.handleUpgrade(request, socket, head, (ws) => {
          const set = byJob.get(jobId) ?? new Set();
          byJob.set(jobId, set);
          set.add(ws);
          options.metrics.websocketConnections.inc();
          let pongTimer: NodeJS.Timeout | undefined;
          const pinger = setInterval(() => {
            ws.ping();
            pongTimer ??= setTimeout(() => ws.terminate(), options.pingTimeoutMs);
          }, options.pingIntervalMs);
          ws.on('pong', () => {
            clearTimeout(pongTimer);
            pongTimer = undefined;
          });
          ws.on('close', () => {
            clearInterval(pinger);
            clearTimeout(pongTimer);
            set.delete(ws);
            if (set.size === 0) byJob.delete(jobId);
            options.metrics.websocketConnections.dec();
          });
          ws.on('error', () => ws.terminate());
          send(ws, { type: 'progress', jobId, state: job.state, done: job.done, total: job.total });
        });
      },
      (error) => {
        options.logger.warn({ err: error }, 'job lookup for a WebSocket failed');
        refuse(socket, 503, 'Service Unavailable');
      },
    );
  };
  server.on('upgrade', onUpgrade);

  return {
    ready,
    /** Closes every socket with 1001 (the client reconnects to another instance) and stops listening for upgrades. */
    async close() {
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export function progressPublisher(redis: RedisClient, keys: RedisKeys) {
  return (event: ProgressEvent) => redis.publish(keys.jobProgressChannel, JSON.stringify(event));
}
