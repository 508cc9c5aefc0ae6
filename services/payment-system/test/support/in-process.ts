import { parseEnvConfig, type Service } from '@cutover/service-kit';
import type { JSONWebKeySet, JWK } from 'jose';
import { authEnvSchema } from '../../auth/src/auth-config.ts';
import { buildAuthService } from '../../auth/src/build-auth-service.ts';
import { buildPaymentsService } from '../../payments/src/build-payments-service.ts';
import { paymentsEnvSchema } from '../../payments/src/payments-config.ts';
import { captureLines } from './capture-lines.ts';

export interface RunningService {
  service: Service;
  url: string;
  logs: ReturnType<typeof captureLines>;
  stop(): Promise<void>;
}

function parsed<T>(result: { ok: true; config: T } | { ok: false; issues: unknown }): T {
  if (!result.ok) throw new Error(`bad test env: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** The auth service in this process on a free port, its logs captured. */
export async function startAuth(env: Record<string, string>, signingKeys: readonly JWK[]): Promise<RunningService> {
  const config = parsed(parseEnvConfig(authEnvSchema, env));
  const logs = captureLines();
  const service = await buildAuthService(config, { signingKeys, handleSignals: false, logDestination: logs });
  const { url } = await service.start({ port: 0 });
  return { service, url, logs, stop: () => service.stop('test over') };
}

/** The payments service in this process on a free port, its logs captured. */
export async function startPayments(env: Record<string, string>, options: { jwks?: JSONWebKeySet } = {}): Promise<RunningService> {
  const config = parsed(parseEnvConfig(paymentsEnvSchema, env));
  const logs = captureLines();
  const service = buildPaymentsService(config, { handleSignals: false, logDestination: logs, ...options });
  const { url } = await service.start({ port: 0 });
  return { service, url, logs, stop: () => service.stop('test over') };
}
