import type { ParsedConfig } from './schema.ts';

/** A rule that spans two keys: reported at `path`, naming `otherPath`, the key it conflicts with. */
export interface CrossFieldProblem {
  path: (string | number)[];
  otherPath?: (string | number)[];
  message: string;
}

/** Host names as the proxy matches them: letters, digits, dashes, dots, an optional leading `*.`, or an IPv6 literal. */
const HOST_PATTERN = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/i;

/**
 * Rules no single key can check: listener ports that collide with each other or with the
 * instances' port range, a range too small for a deploy's surge, canary weights that go down, a
 * prefix to strip that is no prefix, host names written as URLs, probes that need a port on a
 * process type that has none. Run after the schema has accepted every key.
 */
export function validateCrossFields(config: ParsedConfig): CrossFieldProblem[] {
  return [
    ...listenerPortProblems(config),
    ...portRangeCapacityProblems(config),
    ...canaryWeightProblems(config),
    ...proxyProblems(config),
    ...healthPortProblems(config),
  ];
}

function listenerPortProblems({ agent }: ParsedConfig): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const listeners = (['httpPort', 'httpsPort', 'adminPort', 'metricsPort'] as const)
    .filter((key) => agent[key] !== undefined)
    .map((key) => ({ key, port: agent[key] as number }));
  const [first, last] = agent.portRange;
  listeners.forEach(({ key, port }, index) => {
    const earlier = listeners.slice(0, index).find((other) => other.port === port);
    if (earlier) {
      problems.push({
        path: ['agent', key],
        otherPath: ['agent', earlier.key],
        message: `port ${port} is also agent.${earlier.key}: each listener needs a port of its own`,
      });
    } else if (port >= first && port <= last) {
      problems.push({
        path: ['agent', key],
        otherPath: ['agent', 'portRange'],
        message: `port ${port} is inside agent.portRange [${first}, ${last}], which the agent hands to instances: move the port or the range`,
      });
    }
  });
  return problems;
}

/** How many private ports a deploy holds at its peak: the old release in full plus the new one's surge. */
export function peakInstancePorts(config: ParsedConfig): { peak: number; steady: number; surge: string } {
  const withPort = Object.values(config.processes).filter((p) => p.portEnv !== null);
  const steady = withPort.reduce((sum, p) => sum + p.instances, 0);
  const { rollout } = config;
  if (rollout.strategy === 'rolling') {
    const surge = withPort.reduce((sum, p) => sum + Math.min(rollout.batchSize, p.instances), 0);
    return { peak: steady + surge, steady, surge: `plus ${surge} new during a rolling batch of ${rollout.batchSize}` };
  }
  return { peak: steady * 2, steady, surge: `twice that while a ${rollout.strategy} rollout runs both releases` };
}

function portRangeCapacityProblems(config: ParsedConfig): CrossFieldProblem[] {
  const [first, last] = config.agent.portRange;
  if (first > last) return [];
  const size = last - first + 1;
  const { peak, steady, surge } = peakInstancePorts(config);
  if (peak <= size) return [];
  const [largest] = Object.entries(config.processes)
    .filter(([, p]) => p.portEnv !== null)
    .sort(([, a], [, b]) => b.instances - a.instances);
  return [
    {
      path: ['agent', 'portRange'],
      otherPath: largest ? ['processes', largest[0], 'instances'] : undefined,
      message: `[${first}, ${last}] holds ${size} port${size === 1 ? '' : 's'}, but a deploy needs ${peak} at once (${steady} instance${steady === 1 ? '' : 's'} with a port, ${surge}): widen the range or run fewer instances`,
    },
  ];
}

function canaryWeightProblems({ rollout }: ParsedConfig): CrossFieldProblem[] {
  if (rollout.strategy !== 'canary') return [];
  const problems: CrossFieldProblem[] = [];
  let highest: { weight: number; index: number } | undefined;
  rollout.steps.forEach((step, index) => {
    if (!('setWeight' in step)) return;
    if (highest && step.setWeight < highest.weight) {
      problems.push({
        path: ['rollout', 'steps', index, 'setWeight'],
        otherPath: ['rollout', 'steps', highest.index, 'setWeight'],
        message: `canary weights must not go down: ${step.setWeight} comes after ${highest.weight} at rollout.steps[${highest.index}] (to send traffic back, "cutover abort" does that at any step)`,
      });
    } else if (!highest || step.setWeight > highest.weight) {
      highest = { weight: step.setWeight, index };
    }
  });
  return problems;
}

function proxyProblems({ proxy }: ParsedConfig): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (proxy.stripPrefix && proxy.pathPrefix.replace(/\/+$/, '') === '') {
    problems.push({
      path: ['proxy', 'stripPrefix'],
      otherPath: ['proxy', 'pathPrefix'],
      message: `there is no prefix to strip: proxy.pathPrefix is "${proxy.pathPrefix}" (set a prefix such as /api, or remove stripPrefix)`,
    });
  }
  proxy.hosts.forEach((host, index) => {
    const name = host.trim().replace(/\.$/, '');
    if (HOST_PATTERN.test(name)) return;
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(name) ? safeUrl(name) : undefined;
    problems.push({
      path: ['proxy', 'hosts', index],
      message: url
        ? `"${host}" is a URL, not a host name: write ${url.hostname}${url.port || url.pathname !== '/' ? ` (a port goes in agent.httpPort, a path in proxy.pathPrefix)` : ''}`
        : `"${host}" is not a host name: use letters, digits, dashes and dots (shop.example.com) or a wildcard (*.example.com), without scheme, port or path`,
    });
  });
  return problems;
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function healthPortProblems({ processes }: ParsedConfig): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const [type, p] of Object.entries(processes)) {
    if (p.portEnv !== null || !p.health || (p.health.type !== 'http' && p.health.type !== 'tcp')) continue;
    problems.push({
      path: ['processes', type, 'health', 'type'],
      otherPath: ['processes', type, 'portEnv'],
      message: `a${p.health.type === 'http' ? 'n' : ''} ${p.health.type} health check probes the instance's port, but processes.${type}.portEnv is null (no port): give it a portEnv, or use type: process or type: command`,
    });
  }
  return problems;
}
