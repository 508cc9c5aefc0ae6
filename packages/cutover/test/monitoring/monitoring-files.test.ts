// cutover monitoring's files, checked by the tools that read them: promtool for the scrape config and
// the alert rules (including unit tests of the rules on synthetic series), and the dashboard JSON
// against its schema. Missing promtool fails in CI (CI=true), is skipped elsewhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { MONITORING_DEFAULTS, type MonitoringInput } from '../../src/monitoring/monitoring-options.ts';
import { writeMonitoring } from '../../src/monitoring/write-monitoring.ts';

const PROMTOOL = '/usr/bin/promtool';
function promtoolSkip(): string | false {
  if (existsSync(PROMTOOL)) return false;
  if (process.env.CI === 'true') throw new Error(`${PROMTOOL} is missing: .ci/run installs it (apt-get install -y prometheus)`);
  return `${PROMTOOL} is not installed (apt-get install -y prometheus)`;
}
const skip = promtoolSkip();

const dir = mkdtempSync(join(tmpdir(), 'cutover-monitoring-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const input: MonitoringInput = { service: 'pay-ments', metricsPort: 9464, ...MONITORING_DEFAULTS, stuckSeconds: 1800 };
const files = writeMonitoring(dir, input);

function promtool(...args: string[]) {
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8', cwd: dir });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

test('the scrape config passes promtool check config (with its rule file)', { skip }, () => {
  const run = promtool('check', 'config', files.scrapeConfig);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /SUCCESS: 8 rules found/);
  const config = parse(readFileSync(files.scrapeConfig, 'utf8'));
  assert.deepEqual(config.scrape_configs[0].static_configs[0].targets, ['127.0.0.1:9464']);
  assert.equal(config.scrape_configs[1].http_sd_configs[0].url, 'http://127.0.0.1:9464/sd/instances?service=pay-ments');
});

test('the alert rules pass promtool check rules', { skip }, () => {
  const run = promtool('check', 'rules', files.alertRules);
  assert.equal(run.code, 0, run.output);
  const names = parse(readFileSync(files.alertRules, 'utf8')).groups[0].rules.map((r: { alert: string }) => r.alert);
  for (const wanted of [
    'CutoverServiceDown',
    'CutoverHighErrorRate',
    'CutoverHighLatency',
    'CutoverInstanceRestarting',
    'CutoverDeploymentStuck',
    'CutoverDeploymentFailed',
  ])
    assert.ok(names.includes(wanted), `${wanted} in ${names.join(', ')}`);
});

test('the alert rules fire on the series they are about, and stay quiet otherwise (promtool test rules)', { skip }, () => {
  const tests = {
    rule_files: [files.alertRules],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          { series: 'cutover_instance_up{service="pay-ments",release="v1",state="failed"}', values: '1 0 0 0 0' },
          { series: 'cutover_proxy_requests_total{service="pay-ments",release="v1",code="2xx"}', values: '0+90x20' },
          { series: 'cutover_proxy_requests_total{service="pay-ments",release="v1",code="5xx"}', values: '0+10x20' },
          { series: 'cutover_deployment_running_seconds{service="pay-ments",kind="deploy"}', values: '1700+60x10' },
          { series: 'cutover_deployments_total{service="pay-ments",strategy="canary",outcome="rolled_back"}', values: '0 0 1 1 1' },
        ],
        alert_rule_test: [
          {
            eval_time: '4m',
            alertname: 'CutoverServiceDown',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', service: 'pay-ments' },
                exp_annotations: {
                  summary: 'pay-ments: no healthy instance',
                  description: 'No instance of the service is healthy; "cutover status" and "cutover logs" tell why.',
                },
              },
            ],
          },
          {
            eval_time: '12m',
            alertname: 'CutoverHighErrorRate',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', service: 'pay-ments' },
                exp_annotations: {
                  summary: 'pay-ments: error rate above 5%',
                  description: 'Share of 5xx answers through the cutover proxy over 5 minutes.',
                },
              },
            ],
          },
          { eval_time: '1m', alertname: 'CutoverDeploymentStuck', exp_alerts: [] },
          {
            eval_time: '3m',
            alertname: 'CutoverDeploymentStuck',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', service: 'pay-ments' },
                exp_annotations: {
                  summary: 'pay-ments: a deployment has run for over 30 minutes',
                  description:
                    'A deployment is still running (a pause or gate waiting for "cutover promote"?); the dashboard or "cutover watch" shows where it stands.',
                },
              },
            ],
          },
          {
            eval_time: '3m',
            alertname: 'CutoverDeploymentFailed',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', service: 'pay-ments', strategy: 'canary', outcome: 'rolled_back' },
                exp_annotations: {
                  summary: 'pay-ments: a deployment failed or was rolled back',
                  description:
                    'A deployment ended failed, rolled back or interrupted in the last 15 minutes; "cutover history" has its reason.',
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const file = join(dir, 'rules.test.json');
  writeFileSync(file, JSON.stringify(tests));
  const run = promtool('test', 'rules', file);
  assert.equal(run.code, 0, run.output);
});

test('the Grafana dashboard JSON matches its schema and queries only metrics cutover exports', () => {
  const schema = JSON.parse(readFileSync(new URL('../../src/monitoring/grafana-dashboard.schema.json', import.meta.url), 'utf8'));
  const dashboard = JSON.parse(readFileSync(files.grafanaDashboard, 'utf8')) as { panels: { id: number; targets: { expr: string }[] }[] };
  const validate = new Ajv({ allErrors: true, strict: false }).compile<typeof dashboard>(schema);
  assert.ok(validate(dashboard), JSON.stringify(validate.errors));
  const ids = dashboard.panels.map((p: { id: number }) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
  for (const expr of exprs) assert.match(expr, /service="pay-ments"/);
  const names = new Set(exprs.flatMap((e) => e.match(/cutover_[a-z_]+/g) ?? []));
  const exported =
    readFileSync(new URL('../../src/dashboard/controller-metrics.ts', import.meta.url), 'utf8') +
    readFileSync(new URL('../../src/agent/metrics-server.ts', import.meta.url), 'utf8') +
    readFileSync(new URL('../../src/agent/proxy/prometheus-text.ts', import.meta.url), 'utf8');
  for (const name of names) assert.ok(exported.includes(name.replace(/_(bucket|sum|count)$/, '')), `${name} is exported by cutover`);
  // A schema that cannot fail is no check: a panel without targets is refused.
  assert.equal(validate({ ...dashboard, panels: [{ ...dashboard.panels[0], targets: [] }] }), false);
});
