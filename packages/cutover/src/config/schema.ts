import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';
import * as D from './defaults.ts';
import { databaseSectionsSchema } from './schema-database.ts';
import { kubernetesSectionSchema } from './schema-kubernetes.ts';
import { notifySectionSchema } from './schema-notify.ts';
import { rolloutStrategySchema } from './schema-rollout.ts';
import { secretsSchema } from './schema-secrets.ts';
import { refineTasks, tasksSectionSchema } from './schema-tasks.ts';

const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, starting with a letter');
const port = z.number().int().min(1).max(65_535);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
const commandLine = z.string().min(1, 'must not be empty');
/** An env value: text, a number or true/false (passed on as text). */
const envValue = z.unknown().transform((value, ctx): string => {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  ctx.addIssue({
    code: 'custom',
    message: `must be text, a number or true/false (got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : 'nothing'}); quote it to pass it as text`,
  });
  return z.NEVER;
});
const httpToken = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a cookie or header name (letters, digits, - and _ ...)');

const httpHealth = z.strictObject({
  type: z.literal('http'),
  /** Path probed with GET on the instance's private port. */
  path: z.string().startsWith('/').default(D.DEFAULT_HEALTH_PATH),
  /** Status codes that count as healthy (default: any 2xx). */
  expectStatus: z.array(z.number().int().min(100).max(599)).optional(),
});
const tcpHealth = z.strictObject({ type: z.literal('tcp') });
const commandHealth = z.strictObject({
  type: z.literal('command'),
  /** Run with the instance's env and PORT; exit 0 means healthy. */
  command: commandLine,
});
/** A process without a port (a worker): healthy while it stays up for `upFor`. */
const processHealth = z.strictObject({ type: z.literal('process') });

const healthTiming = z.strictObject({
  intervalMs: durationMs().default(D.DEFAULT_HEALTH_INTERVAL_MS),
  /** Optional: its default depends on the check's type (defaultStartIntervalMs). */
  startIntervalMs: durationMs().optional(),
  timeoutMs: durationMs().default(D.DEFAULT_HEALTH_TIMEOUT_MS),
  healthyThreshold: z.number().int().min(1).default(D.DEFAULT_HEALTHY_THRESHOLD),
  unhealthyThreshold: z.number().int().min(1).default(D.DEFAULT_UNHEALTHY_THRESHOLD),
  startTimeoutMs: durationMs().default(D.DEFAULT_START_TIMEOUT_MS),
  /** For `type: process`: how long the process must stay up to count as healthy. */
  upForMs: durationMs().default(1000),
});

const healthCheck = z
  .discriminatedUnion('type', [httpHealth, tcpHealth, commandHealth, processHealth])
  .and(healthTiming.partial())
  .transform((value) => ({
    ...healthTiming.parse({}),
    startIntervalMs: D.defaultStartIntervalMs(value.type),
    ...stripUndefined(value),
  }));

const restartPolicy = z.strictObject({
  maxRestarts: z.number().int().min(0).default(D.DEFAULT_MAX_RESTARTS),
  backoffMs: durationMs().default(D.DEFAULT_RESTART_BACKOFF_MS),
  maxBackoffMs: durationMs().default(D.DEFAULT_RESTART_MAX_BACKOFF_MS),
  /** Restarts older than this no longer count toward maxRestarts. */
  windowMs: durationMs().default(D.DEFAULT_RESTART_WINDOW_MS),
});

const processType = z.strictObject({
  command: commandLine,
  instances: z.number().int().min(0).max(64).default(D.DEFAULT_INSTANCES),
  /** Env var that receives the instance's private port; null for processes that listen on nothing. */
  portEnv: envName.nullable().default(D.DEFAULT_PORT_ENV),
  /** Whether the proxy routes the service's traffic to this process type (default: true for `web`). */
  routed: z.boolean().optional(),
  health: healthCheck.optional(),
  restart: restartPolicy.default(() => restartPolicy.parse({})),
  stopTimeoutMs: durationMs().default(D.DEFAULT_STOP_TIMEOUT_MS),
  env: z.record(envName, envValue).default({}),
  /** Secrets of this process type only, on top of the top-level `secrets:`. */
  secrets: secretsSchema,
  /** Working directory inside the release (default: the release root). */
  cwd: z.string().optional(),
});

const releaseSource = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('directory'),
    /** Path with {release}, relative to cutover.yml: each release is its own directory. */
    path: z.string().includes('{release}', { message: 'must contain {release}' }),
  }),
  z.strictObject({
    source: z.literal('git'),
    /** Repository to export from (default: the directory of cutover.yml). */
    repo: z.string().default('.'),
    /** Sub-directory of the repository that holds the service. */
    subdir: z.string().default('.'),
    /** The export (git archive + tar) is killed past this. */
    timeoutMs: durationMs().default(D.DEFAULT_BUILD_TIMEOUT_MS),
  }),
  z.strictObject({
    source: z.literal('build'),
    /** Runs in the directory of cutover.yml with CUTOVER_RELEASE and CUTOVER_RELEASE_DIR set. */
    command: commandLine,
    /** The build's whole process group is killed past this; a failed build is never cached. */
    timeoutMs: durationMs().default(D.DEFAULT_BUILD_TIMEOUT_MS),
  }),
]);

const tls = z.strictObject({ certFile: z.string(), keyFile: z.string() });

const proxy = z.strictObject({
  /** What forwards the traffic: the agent's built-in Node proxy (default) or Debian's HAProxy driven over its runtime API. */
  dataPlane: z.enum(['node', 'haproxy']).default('node'),
  /** Host names this service answers for (default: any host). */
  hosts: z.array(z.string().min(1)).default([]),
  /** Path prefix this service answers for. */
  pathPrefix: z.string().startsWith('/').default('/'),
  /** Remove the prefix before forwarding. */
  stripPrefix: z.boolean().default(false),
  /** After a first start, `cutover up` sends a short burst of GETs of the http health path through the proxy (docs/agent.md); false: none. */
  warmUp: z.boolean().default(true),
  drainTimeoutMs: durationMs().default(D.DEFAULT_DRAIN_TIMEOUT_MS),
  websocketGraceMs: durationMs().default(D.DEFAULT_WEBSOCKET_GRACE_MS),
  /** While a canary splits traffic, keep each client on one release: { cookie: name } or { header: name } (none by default). */
  sticky: z
    .union([z.strictObject({ cookie: httpToken }), z.strictObject({ header: httpToken })], {
      error: 'must be { cookie: <name> } or { header: <name> }, one of the two, with a cookie or header name such as cutover-release',
    })
    .optional(),
  /** Request header that sends a request to the release it names, for testers, e.g. x-cutover-release (none by default). */
  forceReleaseHeader: httpToken.optional(),
  /** Connecting to an instance may take this long; then 504 (default 60 s). */
  connectTimeoutMs: durationMs().default(D.DEFAULT_PROXY_CONNECT_TIMEOUT_MS),
  /** An instance must start its answer (the response head) within this once the request went out; then 504 (default 60 s). */
  responseTimeoutMs: durationMs().default(D.DEFAULT_PROXY_RESPONSE_TIMEOUT_MS),
  /** A response (or request) body may stall this long between two reads; then the answer is cut and counted 504 (default 60 s). */
  idleTimeoutMs: durationMs().default(D.DEFAULT_PROXY_IDLE_TIMEOUT_MS),
  /** Which paths count in the proxy's counters (analysis, /metrics): prefixes to include (default all) and to exclude (default none). */
  metricsPaths: z
    .strictObject({
      include: z.array(z.string().startsWith('/')).default([]),
      exclude: z.array(z.string().startsWith('/')).default([]),
    })
    .default({ include: [], exclude: [] }),
});

const hookList = z.array(commandLine).default([]);
const hooks = z.strictObject({
  preDeploy: hookList,
  preSwitch: hookList,
  postSwitch: hookList,
  postDeploy: hookList,
  onRollback: hookList,
  timeoutMs: durationMs().default(D.DEFAULT_HOOK_TIMEOUT_MS),
});

const agent = z.strictObject({
  /** Where the agent keeps state, logs and its admin socket; relative to cutover.yml. */
  dataDir: z.string().default(D.DEFAULT_DATA_DIR),
  httpPort: port.default(D.DEFAULT_HTTP_PORT),
  httpsPort: port.optional(),
  tls: tls.optional(),
  /** Admin API on a loopback TCP port instead of the unix socket in dataDir. */
  adminPort: port.optional(),
  /** Serve Prometheus metrics (the proxy's counters, the instances, the controller's own) on 127.0.0.1:metricsPort/metrics (none by default). */
  metricsPort: port.optional(),
  portRange: z.tuple([port, port]).default([...D.DEFAULT_PORT_RANGE]),
  logMaxBytes: z.number().int().min(1024).default(D.DEFAULT_LOG_MAX_BYTES),
  logKeepFiles: z.number().int().min(1).default(D.DEFAULT_LOG_KEEP_FILES),
  /** Logs of finished (stopped, failed) instances kept per service; older ones are deleted (default 20). */
  keepInstanceLogs: z.number().int().min(0).default(D.DEFAULT_KEEP_INSTANCE_LOGS),
});

export const configSchema = z
  .strictObject({
    service: name,
    release: releaseSource.default({ source: 'directory', path: 'releases/{release}' }),
    processes: z.record(name, processType).refine((p) => Object.keys(p).length > 0, 'must declare at least one process type'),
    env: z.record(envName, envValue).default({}),
    envFiles: z.array(z.string()).default([]),
    /** Env vars whose values the agent reads from a file or a command when it starts an instance. */
    secrets: secretsSchema,
    proxy: proxy.default(() => proxy.parse({})),
    rollout: rolloutStrategySchema,
    hooks: hooks.default(() => hooks.parse({})),
    agent: agent.default(() => agent.parse({})),
    keepReleases: z.number().int().min(1).default(D.DEFAULT_KEEP_RELEASES),
    /** Deployments (with their steps and events) kept in the record per service; older finished ones are deleted (default 200). */
    keepDeployments: z.number().int().min(1).default(D.DEFAULT_KEEP_DEPLOYMENTS),
    ...databaseSectionsSchema,
    ...tasksSectionSchema,
    ...notifySectionSchema,
    ...kubernetesSectionSchema,
  })
  .superRefine((config, ctx) => {
    refineTasks(config, ctx);
    const routed = Object.entries(config.processes).filter(([type, p]) => p.routed ?? type === 'web');
    if (routed.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['processes'],
        message: `only one process type can be routed by the proxy (found ${routed.map(([t]) => t).join(', ')})`,
      });
    }
    for (const [type, p] of routed) {
      if (p.portEnv === null)
        ctx.addIssue({ code: 'custom', path: ['processes', type, 'portEnv'], message: 'a routed process type needs a port env var' });
    }
    const clashes = new Set<string>();
    for (const p of Object.values(config.processes)) {
      for (const key of Object.keys({ ...config.secrets, ...p.secrets })) if (key in config.env || key in p.env) clashes.add(key);
    }
    for (const key of clashes) {
      ctx.addIssue({ code: 'custom', path: ['secrets', key], message: `${key} is both an env value and a secret: keep one` });
    }
    refineKubernetes(config, ctx);
    if (config.agent.portRange[0] > config.agent.portRange[1]) {
      ctx.addIssue({ code: 'custom', path: ['agent', 'portRange'], message: 'the first port must not be above the second' });
    }
    refineHaproxyDataPlane(config, ctx);
    if (config.agent.httpsPort !== undefined && !config.agent.tls) {
      ctx.addIssue({ code: 'custom', path: ['agent', 'tls'], message: 'httpsPort needs tls.certFile and tls.keyFile' });
    }
  });

export type CutoverConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ProcessTypeConfig = ParsedConfig['processes'][string];
export type HealthCheckConfig = NonNullable<ProcessTypeConfig['health']>;
export type RestartPolicyConfig = ProcessTypeConfig['restart'];
export type ProxyConfig = ParsedConfig['proxy'];

/** What HAProxy mode cannot honour is refused here, before anything starts (docs/agent.md, "Data plane"). */
function refineHaproxyDataPlane(
  config: { proxy: { dataPlane: string; sticky?: unknown; forceReleaseHeader?: string }; agent: { httpsPort?: number } },
  ctx: z.RefinementCtx,
): void {
  if (config.proxy.dataPlane !== 'haproxy') return;
  const refuse = (path: (string | number)[], what: string) =>
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${what} is not available with proxy.dataPlane: haproxy (use dataPlane: node, or remove it)`,
    });
  if (config.proxy.sticky !== undefined) refuse(['proxy', 'sticky'], 'a sticky release cookie or header');
  if (config.proxy.forceReleaseHeader !== undefined) refuse(['proxy', 'forceReleaseHeader'], 'a header that forces the release');
  if (config.agent.httpsPort !== undefined) refuse(['agent', 'httpsPort'], 'TLS termination by the agent');
}

/** The cluster section names only process types the file declares, and target: kubernetes needs it. */
function refineKubernetes(
  config: { target: string; kubernetes?: { processes: Record<string, unknown> }; processes: Record<string, unknown> },
  ctx: z.RefinementCtx,
): void {
  if (config.target === 'kubernetes' && config.kubernetes === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['target'],
      message: 'target: kubernetes needs a kubernetes: section (at least kubernetes.image)',
    });
  for (const type of Object.keys(config.kubernetes?.processes ?? {})) {
    if (!(type in config.processes))
      ctx.addIssue({
        code: 'custom',
        path: ['kubernetes', 'processes', type],
        message: `names no process type of processes: (declared: ${Object.keys(config.processes).join(', ')})`,
      });
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
