import { type ApiService, buildApiService } from '../../src/build-api-service.ts';
import { buildConsumerService, type ConsumerService } from '../../src/build-consumer-service.ts';
import { messagingConfig } from './messaging-env.ts';

/** Log lines of an in-process service, kept for failure messages. */
export interface LogSink {
  write(chunk: string): void;
  lines: string[];
}

export function logSink(): LogSink {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(chunk.trimEnd());
    },
  };
}

export interface RunningApi extends ApiService {
  url: string;
  logs: LogSink;
  stop(): Promise<void>;
}

export interface RunningConsumer extends ConsumerService {
  url: string;
  logs: LogSink;
  stop(): Promise<void>;
}

/** The api process's service in this test process (no signal handlers), listening on a free port. */
export async function startApi(env: Record<string, string>): Promise<RunningApi> {
  const logs = logSink();
  const api = await buildApiService(messagingConfig(env), { handleSignals: false, logDestination: logs });
  const { url } = await api.service.start({ port: 0 });
  return { ...api, url, logs, stop: () => api.service.stop('test done') };
}

/** The consumer process's service in this test process, its workers started. */
export async function startConsumer(env: Record<string, string>): Promise<RunningConsumer> {
  const logs = logSink();
  const consumer = await buildConsumerService(messagingConfig({ ...env, PORT: '0' }), { handleSignals: false, logDestination: logs });
  const { url } = await consumer.start();
  return { ...consumer, url, logs, stop: () => consumer.service.stop('test done') };
}
