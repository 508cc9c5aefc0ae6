import http from 'node:http';

export interface PacedSendOptions {
  /** Base URLs of the api instances; requests go round-robin. */
  targets: readonly URL[];
  path: string;
  /** Requests per second, spread evenly (open loop: a slow answer does not slow the sending). */
  rate: number;
  durationMs: number;
  /** Keep-alive sockets per target. */
  connections: number;
  /** Body of request number `i`. */
  body(i: number): string;
  /** Called with every answer (or transport error, status 0). */
  onAnswer(i: number, status: number, body: string): void;
  /** Per-request time limit. */
  timeoutMs?: number;
}

export interface PacedSendResult {
  sent: number;
  /** Milliseconds from each request's scheduled time to its complete answer (queueing included). */
  latenciesMs: number[];
  durationMs: number;
}

/**
 * An open-loop load generator on node:http keep-alive sockets: request i is due at
 * start + i/rate, and its latency counts from that moment, so time spent waiting for a free socket
 * or a slow server is measured instead of hidden (no coordinated omission).
 */
export async function runPaced(options: PacedSendOptions): Promise<PacedSendResult> {
  const agents = options.targets.map(() => new http.Agent({ keepAlive: true, maxSockets: options.connections }));
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const latenciesMs: number[] = [];
  const startedAt = performance.now();
  let sent = 0;
  let inFlight = 0;
  let finished: () => void = () => undefined;
  const allAnswered = new Promise<void>((resolve) => {
    finished = resolve;
  });

  const fire = (i: number) => {
    const scheduledAt = startedAt + (i * 1000) / options.rate;
    const target = options.targets[i % options.targets.length];
    const payload = options.body(i);
    inFlight++;
    const done = (status: number, body: string) => {
      latenciesMs.push(performance.now() - scheduledAt);
      options.onAnswer(i, status, body);
      inFlight--;
      if (sent === total && inFlight === 0) finished();
    };
    const request = http.request(
      {
        agent: agents[i % agents.length],
        host: target.hostname,
        port: target.port,
        path: options.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: options.timeoutMs ?? 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(response.statusCode ?? 0, Buffer.concat(chunks).toString()));
        response.on('error', (error) => done(0, error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', (error) => done(0, error.message));
    request.end(payload);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) * options.rate) / 1000) + 1);
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  if (inFlight > 0) await allAnswered;
  for (const agent of agents) agent.destroy();
  return { sent, latenciesMs, durationMs: performance.now() - startedAt };
}
