import type { ValidationDeps } from '../../checks/run-validation.ts';
import type { DeploymentRun } from '../deployment-run.ts';

/** What validation checks after the switch: the proxy's URL, the new instances' URLs, the proxy's counters. */
export async function validationDepsOf(run: DeploymentRun): Promise<ValidationDeps> {
  const { loaded, backend, service } = run;
  const { proxy, agent } = loaded.config;
  return {
    // With stripPrefix the app serves at its root, so one check path works through the proxy and on the instances.
    proxyBaseUrl: `http://127.0.0.1:${agent.httpPort}${proxy.stripPrefix ? proxy.pathPrefix.replace(/\/$/, '') : ''}`,
    instanceUrls: (await backend.instances(service))
      .filter((i) => i.spec.release === run.request.release && i.inPool && i.port !== null)
      .map((i) => `http://127.0.0.1:${i.port}`),
    counters: async (release) => {
      const snapshot = (await backend.counters(service)).counters[release];
      return { requests: snapshot?.requests ?? 0, byStatusClass: { ...(snapshot?.byStatusClass ?? {}) } };
    },
  };
}
