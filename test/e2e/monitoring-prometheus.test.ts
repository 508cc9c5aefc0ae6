// End to end: the files "cutover monitoring" writes, loaded into a real Prometheus (Debian's, on a
// free port, a private data directory, stopped at the end) that scrapes a real agent: the agent's
// target and the instances it discovers through the agent are up, the rules load, and what the
// controller decided (cutover_deployments_total, step durations) is queryable.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collect, freePort, Sandbox } from './support/sandbox.ts';

const PROMETHEUS = '/usr/bin/prometheus';
function prometheusSkip(): string | false {
  if (existsSync(PROMETHEUS)) return false;
  if (process.env.CI === 'true') throw new Error(`${PROMETHEUS} is missing: .ci/run installs it (apt-get install -y prometheus)`);
  return `${PROMETHEUS} is not installed (apt-get install -y prometheus)`;
}
const skip = prometheusSkip();

/** An instance that serves Prometheus text on /metrics, as a service-kit service does. */
const SERVER = (version: string) => `import { createServer } from 'node:http';
let hits = 0;
const server = createServer((req, res) => {
  if (req.url === '/up') return res.writeHead(200).end('ok');
  if (req.url === '/metrics') return res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE demo_hits_total counter\\ndemo_hits_total ' + hits + '\\n');
  hits++;
  res.writeHead(200, { 'x-release': '${version}' }).end('${version}');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
`;

const CONFIG = (metricsPort: number) => (port: number) =>
  `service: e2e-prom
release: { source: directory, path: 'releases/{release}' }
processes:
  web:
    command: node server.js
    instances: 2
    health: { type: http, path: /up, startTimeoutMs: 5s, intervalMs: 500ms }
    stopTimeoutMs: 5s
proxy: { drainTimeoutMs: 1s, websocketGraceMs: 1s }
rollout:
  strategy: canary
  healthTimeoutMs: 10s
  steps:
    - setWeight: 50
    - pause: { durationMs: 500ms }
agent: { httpPort: ${port}, metricsPort: ${metricsPort} }
`;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('cutover monitoring in a real Prometheus', { skip }, () => {
  const box = new Sandbox('cutover-e2e-prom-');
  let prometheus: ChildProcess | undefined;
  let api = '';

  before(async () => {
    for (const v of ['v1', 'v2']) {
      mkdirSync(join(box.dir, 'releases', v), { recursive: true });
      writeFileSync(join(box.dir, 'releases', v, 'server.js'), SERVER(v));
    }
    await box.writeConfig(CONFIG(await freePort()));
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const deploy = await box.cli(['deploy', 'v2']);
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await box.cleanup();
  });

  test('Prometheus loads the config and rules, scrapes the agent and the instances, and sees what cutover decided', async () => {
    const out = join(box.dir, 'monitoring');
    const written = await box.cli(['monitoring', '--out', out, '--scrape-interval', '1s', '--json']);
    assert.equal(written.code, 0, written.stdout + written.stderr);
    const files = JSON.parse(written.stdout).files as { scrapeConfig: string };
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${files.scrapeConfig}`,
        `--storage.tsdb.path=${join(box.dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr?.on('data', (chunk) => (log += chunk));
    const exited = collect(prometheus, 600_000).catch(() => undefined);
    await until('prometheus ready', async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined)).catch(async (error) => {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
      throw new Error(`${error}\n${log.slice(-2000)}`);
    });

    const targets = await until('every target up', async () => {
      const body = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
        data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
      };
      const active = body.data.activeTargets;
      const agent = active.filter((t) => t.labels.job === 'cutover-agent');
      const instances = active.filter((t) => t.labels.job === 'e2e-prom-instances');
      return agent.length === 1 && instances.length === 2 && active.every((t) => t.health === 'up') ? active : undefined;
    });
    assert.deepEqual(
      targets.filter((t) => t.labels.job === 'e2e-prom-instances').map((t) => t.labels.release),
      ['v2', 'v2'],
      'the instances of the serving release, found through the agent',
    );

    const query = async (expr: string) =>
      (
        (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }
      ).data.result;
    const deployments = await until('cutover_deployments_total', async () => {
      const result = await query('cutover_deployments_total{service="e2e-prom",outcome="succeeded"}');
      return result.length > 0 ? result : undefined;
    });
    assert.ok(
      deployments.some((r) => r.metric.strategy === 'canary' && Number(r.value[1]) >= 1),
      JSON.stringify(deployments),
    );
    const steps = await query('cutover_deployment_step_duration_seconds_count{service="e2e-prom",step="rollout"}');
    assert.ok(steps.length > 0 && Number(steps[0].value[1]) >= 1, JSON.stringify(steps));
    const up = await query('sum(cutover_instance_up{service="e2e-prom"})');
    assert.equal(Number(up[0]?.value[1]), 2);
    assert.equal(Number((await query('cutover_controller_up'))[0]?.value[1]), 1);

    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    assert.equal(loaded.length, 8);
    await until('every rule evaluated', async () => {
      const again = (await (await fetch(`${api}/api/v1/rules`)).json()) as typeof rules;
      const all = again.data.groups.flatMap((g) => g.rules);
      return all.every((r) => r.health === 'ok') ? true : undefined;
    });
    const firing = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
      data: { alerts: { labels: { alertname: string }; state: string }[] };
    };
    assert.deepEqual(
      firing.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname),
      [],
      'a healthy service after a good deployment fires nothing',
    );
  });
});
