import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeasureContext } from '../../src/analysis/metric-provider.ts';

export interface SeenRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the fake answers: a status and a body (objects are sent as JSON), or `hang` to never answer. */
export type Answer = { status?: number; body?: unknown; hang?: boolean };

export interface JsonServer {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1:0 answering each request with whatever `answer` returns. */
export async function startJsonServer(answer: (request: SeenRequest) => Answer): Promise<JsonServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(seen);
      const reply = answer(seen);
      if (reply.hang) return;
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? null);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A Prometheus instant-query answer with one series per entry ([labels, value as Prometheus writes it]). */
export function vector(...series: [Record<string, string>, string][]) {
  return {
    status: 'success',
    data: { resultType: 'vector', result: series.map(([metric, value]) => ({ metric, value: [1_700_000_000.123, value] })) },
  };
}

export function scalar(value: string) {
  return { status: 'success', data: { resultType: 'scalar', result: [1_700_000_000.123, value] } };
}

/**
 * A fake Prometheus: answers GET /api/v1/query from `answers`, keyed by the decoded PromQL
 * (a function for anything else), and remembers every query it was sent.
 */
export async function startFakePrometheus(
  answers: Record<string, Answer> | ((query: string) => Answer),
): Promise<JsonServer & { queries: string[] }> {
  const queries: string[] = [];
  const server = await startJsonServer((request) => {
    const url = new URL(request.url, 'http://x');
    if (!url.pathname.endsWith('/api/v1/query'))
      return { status: 404, body: { status: 'error', errorType: 'not_found', error: url.pathname } };
    const query = url.searchParams.get('query') ?? '';
    queries.push(query);
    if (typeof answers === 'function') return answers(query);
    return answers[query] ?? { status: 400, body: { status: 'error', errorType: 'bad_data', error: `unexpected query ${query}` } };
  });
  return { ...server, queries };
}

/** A MeasureContext with an already-settled clock and a live signal. */
export function measureContext(overrides: Partial<MeasureContext> = {}): MeasureContext {
  return {
    release: 'v2',
    baselineRelease: 'v1',
    service: 'compliance',
    windowMs: 300_000,
    nowMs: 1_700_000_000_000,
    signal: new AbortController().signal,
    ...overrides,
  };
}

/**
 * A JSON endpoint that plays a script per path: the n-th request to a path gets the n-th answer,
 * and the last answer repeats. Paths without a script answer 404.
 */
export async function startScriptedServer(script: Record<string, Answer[]>): Promise<JsonServer> {
  const served = new Map<string, number>();
  return startJsonServer((request) => {
    const path = request.url.split('?')[0];
    const answers = script[path];
    if (!answers) return { status: 404, body: { error: `no script for ${path}` } };
    const index = served.get(path) ?? 0;
    served.set(path, index + 1);
    return answers[Math.min(index, answers.length - 1)];
  });
}

/** A JSON body `{ "value": v }` (null for no data). */
export function valueBody(value: number | null, count?: number): Answer {
  return { body: count === undefined ? { value } : { value, count } };
}
