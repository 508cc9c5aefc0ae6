import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field
export type ResponseBody = any;

/** One HTTP exchange over keep-alive connections; bodies are JSON. */
export interface LoadClient {
  send(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: ResponseBody }>;
  close(): void;
}

/** A client of the proxy: plain HTTP, or HTTPS trusting the given CA (the self-signed dev certificate). */
export function loadClient(baseUrl: string, options: { ca?: string } = {}): LoadClient {
  const url = new URL(baseUrl);
  const tls = url.protocol === 'https:';
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ca: options.ca })
    : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const request = tls ? httpsRequest : httpRequest;
  return {
    send(method, path, body, headers = {}) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            timeout: 30_000,
            headers: {
              ...headers,
              ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = text ? JSON.parse(text) : null;
              } catch {
                // keep the text
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error('request timed out')));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

export interface LoadFailure {
  operation: string;
  detail: string;
  atMs: number;
}

export interface MixedLoadResult {
  counts: Record<string, number>;
  failures: LoadFailure[];
  /** Every idempotency key used for a create, with the payment id its first 201 returned. */
  createdByKey: Map<string, string>;
  durationMs: number;
}

export interface MixedLoadOptions {
  clients: LoadClient[];
  /** Access tokens of already registered users, shared by the payment workers. */
  tokens: string[];
  paymentWorkers: number;
  authWorkers: number;
  /** Pause between two iterations of an auth worker (each iteration runs two scrypt hashes). */
  authPauseMs: number;
}

/**
 * Closed-loop mixed traffic through the proxy until `signal` aborts: auth workers register a new
 * account and log in; payment workers create payments (each with a new Idempotency-Key), retry
 * some of them with the same key (expecting the same payment back), and authorize and capture
 * others. Any unexpected status, a retry returning another payment, or a network error is a failure.
 */
export async function runMixedLoad(options: MixedLoadOptions, signal: AbortSignal): Promise<MixedLoadResult> {
  const counts: Record<string, number> = {};
  const failures: LoadFailure[] = [];
  const createdByKey = new Map<string, string>();
  const startedAt = Date.now();
  let turn = 0;
  const client = () => options.clients[turn++ % options.clients.length];
  const count = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };

  async function expect(operation: string, expected: number, run: () => ReturnType<LoadClient['send']>) {
    try {
      const response = await run();
      count(operation);
      if (response.status !== expected) {
        failures.push({
          operation,
          detail: `status ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`,
          atMs: Date.now() - startedAt,
        });
        return null;
      }
      return response;
    } catch (error) {
      count(operation);
      failures.push({ operation, detail: String(error), atMs: Date.now() - startedAt });
      return null;
    }
  }

  async function authWorker(worker: number) {
    let i = 0;
    while (!signal.aborted) {
      const email = `load-${worker}-${i++}-${randomUUID().slice(0, 8)}@example.com`;
      const password = 'load test passphrase';
      const registered = await expect('register', 201, () => client().send('POST', '/auth/register', { email, password }));
      if (registered) await expect('login', 200, () => client().send('POST', '/auth/login', { email, password }));
      await new Promise((resolve) => setTimeout(resolve, options.authPauseMs));
    }
  }

  async function paymentWorker(worker: number) {
    let i = 0;
    while (!signal.aborted) {
      const token = options.tokens[(worker + i) % options.tokens.length];
      const headers = { authorization: `Bearer ${token}` };
      const key = randomUUID();
      const body = { amount: 100 + (i % 900), currency: i % 3 === 0 ? 'JPY' : 'EUR', description: `load ${worker}/${i}` };
      i++;
      const created = await expect('create', 201, () =>
        client().send('POST', '/payments/', body, { ...headers, 'idempotency-key': `"${key}"` }),
      );
      if (!created) continue;
      createdByKey.set(key, created.body.id);
      if (i % 5 === 0) {
        const retry = await expect('create-retry', 201, () =>
          client().send('POST', '/payments/', body, { ...headers, 'idempotency-key': `"${key}"` }),
        );
        if (retry && retry.body.id !== created.body.id) {
          failures.push({
            operation: 'create-retry',
            detail: `retry returned ${retry.body.id}, first ${created.body.id}`,
            atMs: Date.now() - startedAt,
          });
        }
      } else if (i % 5 === 1) {
        const id = created.body.id;
        const authorized = await expect('authorize', 200, () => client().send('POST', `/payments/${id}/authorize`, undefined, headers));
        if (authorized) await expect('capture', 200, () => client().send('POST', `/payments/${id}/capture`, undefined, headers));
      }
    }
  }

  await Promise.all([
    ...Array.from({ length: options.authWorkers }, (_, w) => authWorker(w)),
    ...Array.from({ length: options.paymentWorkers }, (_, w) => paymentWorker(w)),
  ]);
  return { counts, failures, createdByKey, durationMs: Date.now() - startedAt };
}
