import type { MetricProviders } from './metric-provider.ts';
import { createCommandProvider } from './providers/command-provider.ts';
import { createHttpProvider } from './providers/http-provider.ts';
import { createPrometheusProvider } from './providers/prometheus-provider.ts';
import { createProxyProvider, type ProxyMetricsSource } from './providers/proxy-provider.ts';

export interface MetricProvidersOptions {
  /** Reads the agent proxy's counters and samples of a release; without it, proxy metrics are refused. */
  proxySource?: ProxyMetricsSource;
  /** fetch for the prometheus and http providers (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Directory commands run in (default: process.cwd()); usually the directory of cutover.yml. */
  cwd?: string;
  /** Base environment of commands (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The four built-in providers, ready for runAnalysis. */
export function createMetricProviders(options: MetricProvidersOptions = {}): MetricProviders {
  return {
    ...(options.proxySource ? { proxy: createProxyProvider(options.proxySource) } : {}),
    prometheus: createPrometheusProvider({ fetch: options.fetch }),
    http: createHttpProvider({ fetch: options.fetch }),
    command: createCommandProvider({ cwd: options.cwd, env: options.env }),
  };
}
