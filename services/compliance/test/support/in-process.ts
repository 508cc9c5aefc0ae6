import { loadEnvConfig } from '@cutover/service-kit';
import { buildComplianceService, type ComplianceService } from '../../src/build-compliance-service.ts';
import { complianceEnvSchema } from '../../src/compliance-config.ts';

export interface LogSink {
  write(chunk: string): void;
  lines: string[];
}

export interface RunningCompliance extends ComplianceService {
  url: string;
  logs: LogSink;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The service in this test process (no signal handlers), on a free port, its log lines kept. */
export async function startCompliance(env: Record<string, string>): Promise<RunningCompliance> {
  const lines: string[] = [];
  const logs: LogSink = { lines, write: (chunk) => void lines.push(chunk.trimEnd()) };
  const config = loadEnvConfig('compliance', complianceEnvSchema, { ...env, PORT: '0' });
  const built = await buildComplianceService(config, { handleSignals: false, logDestination: logs });
  const { url } = await built.service.start({ port: 0 });
  return { ...built, url, logs, env, stop: () => built.service.stop('test done') };
}
