import { probeHttp } from '../checks/http-probe.ts';
import type { SmokeCheckConfig } from '../config/schema-rollout.ts';

export interface SmokeResult {
  check: string;
  instance: string;
  url: string;
  outcome: 'pass' | 'fail';
  message: string;
  measured: unknown;
  attempts: number;
}

/**
 * Sends every smoke check to every new instance on its private port (not through the proxy: the
 * instances take no traffic yet), retrying each up to its attempts. All run concurrently.
 */
export async function runSmokeChecks(
  checks: readonly SmokeCheckConfig[],
  instances: readonly { id: string; port: number }[],
  signal?: AbortSignal,
): Promise<SmokeResult[]> {
  const runs = checks.flatMap((check) => instances.map((instance) => runOne(check, instance, signal)));
  return Promise.all(runs);
}

async function runOne(check: SmokeCheckConfig, instance: { id: string; port: number }, signal?: AbortSignal): Promise<SmokeResult> {
  const url = `http://127.0.0.1:${instance.port}${check.path}`;
  const name = check.name ?? `${check.method} ${check.path}`;
  let attempt = 0;
  for (;;) {
    attempt++;
    const outcome = await probeHttp({
      url,
      method: check.method,
      headers: check.headers,
      body: check.body,
      expectStatus: check.expectStatus,
      bodyIncludes: check.bodyIncludes,
      timeoutMs: check.timeoutMs,
    });
    const passed = outcome.outcome === 'pass';
    if (passed || attempt >= check.attempts || signal?.aborted) {
      return {
        check: name,
        instance: instance.id,
        url,
        outcome: passed ? 'pass' : 'fail',
        message: outcome.message,
        measured: outcome.measured ?? null,
        attempts: attempt,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, check.retryDelayMs));
  }
}
