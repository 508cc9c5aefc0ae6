import { Writable } from 'node:stream';
import { type ApiService, buildApiService } from '../../src/build-api-service.ts';
import { buildWorkerService, type WorkerService } from '../../src/build-worker-service.ts';
import { type CardConfig, cardEnvSchema } from '../../src/card-config.ts';

/** Log lines of an in-process service, kept for assertions (nothing reaches the test output). */
export class LogSink extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

export function testConfig(env: Record<string, string>): CardConfig {
  return cardEnvSchema.parse(env);
}

export interface InProcessApi extends ApiService {
  url: string;
  logs: LogSink;
  close(): Promise<void>;
}

export async function startApi(env: Record<string, string>): Promise<InProcessApi> {
  const logs = new LogSink();
  const api = await buildApiService(testConfig(env), { handleSignals: false, logDestination: logs });
  const { url } = await api.service.start({ port: 0 });
  return { ...api, url, logs, close: () => api.service.stop('test done') };
}

export interface InProcessWorker extends WorkerService {
  logs: LogSink;
  close(): Promise<void>;
}

export async function startWorker(env: Record<string, string>): Promise<InProcessWorker> {
  const logs = new LogSink();
  const worker = await buildWorkerService(testConfig(env), { handleSignals: false, logDestination: logs });
  await worker.service.start({ port: 0 });
  return { ...worker, logs, close: () => worker.service.stop('test done') };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  return { status: response.status, headers: response.headers, body: json as any };
}

export async function getJson(url: string) {
  const response = await fetch(url);
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}
