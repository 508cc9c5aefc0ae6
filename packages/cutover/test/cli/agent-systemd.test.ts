import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemdWord } from '../../src/agent/systemd-unit.ts';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
const NODE = process.execPath;
const PATH_LINE = `PATH=${dirname(NODE)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(config = ''): string {
  const root = mkdtempSync(join(tmpdir(), 'cutover-unit-'));
  made.push(root);
  writeFileSync(
    join(root, 'cutover.yml'),
    `service: shop\nprocesses:\n  web:\n    command: node server.js\n    stopTimeoutMs: 45s\n${config}`,
  );
  return root;
}

function cli(root: string, ...args: string[]) {
  const run = spawnSync(NODE, [BIN, 'agent', 'systemd', ...args], { cwd: root, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The hardening of a system unit (the same for every project). */
const HARDENING = `ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
LockPersonality=yes`;

function systemdAnalyze(file: string): { code: number | null; stderr: string } | undefined {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const run = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  return { code: run.status, stderr: run.stderr };
}

test('a system unit: the project owner, instances survive the agent, hardened, and systemd-analyze accepts it', (t) => {
  const root = project();
  const result = cli(root, '--run-as', 'root');
  assert.equal(result.code, 0, result.stderr);
  const expected = `# cutover agent for ${root}/cutover.yml, written by "cutover agent systemd".
# Write it again after moving the project, node or cutover (docs/agent.md).
[Unit]
Description=cutover agent (${root}/.cutover)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=root
Group=root
WorkingDirectory=${root}
Environment=${PATH_LINE}
ExecStart=${NODE} ${BIN} agent --config ${root}/cutover.yml
Restart=on-failure
RestartSec=2s
# SIGTERM to the agent alone: its instances keep running and the next agent adopts them.
KillSignal=SIGTERM
KillMode=process
TimeoutStopSec=30s
LimitNOFILE=65536
SyslogIdentifier=cutover-agent
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${root}
${HARDENING}

[Install]
WantedBy=multi-user.target
`;
  assert.equal(result.stdout, expected);
  const file = join(root, 'cutover-agent.service');
  writeFileSync(file, result.stdout);
  const verified = systemdAnalyze(file);
  if (!verified) return t.diagnostic('systemd-analyze is not installed: unit not verified');
  assert.equal(verified.code, 0, verified.stderr);
  // It prints a line per ignored or unknown setting but still exits 0: any line about our file fails.
  assert.doesNotMatch(verified.stderr, /cutover-agent\.service/, verified.stderr);
});

test('systemd-analyze does catch a broken unit (the check above can fail)', (t) => {
  const root = project();
  const unit = cli(root, '--run-as', 'root').stdout;
  const file = join(root, 'cutover-agent.service');
  writeFileSync(file, unit.replace('KillMode=process', 'KillMode=bogus'));
  const verified = systemdAnalyze(file);
  if (!verified) return t.diagnostic('systemd-analyze is not installed');
  assert.match(verified.stderr, /cutover-agent\.service:\d+: Failed to parse kill mode/);
});

test('--stop-instances: SIGINT with KillMode=mixed, and a stop timeout that covers the slowest process', () => {
  const root = project();
  const { stdout, code } = cli(root, '--run-as', 'root', '--stop-instances');
  assert.equal(code, 0);
  assert.match(
    stdout,
    /# SIGINT: the agent stops its instances, then exits; what is left of the unit gets SIGKILL.\nKillSignal=SIGINT\nKillMode=mixed\nTimeoutStopSec=75s\n/,
  );
  assert.doesNotMatch(stdout, /KillMode=process/);
});

test('a user unit: no User=, no namespace hardening, default.target; --output writes it readable and says how to enable it', (t) => {
  const root = project();
  const result = cli(root, '--user', '--output', 'agent.service');
  assert.equal(result.code, 0, result.stderr);
  const file = join(root, 'agent.service');
  assert.equal(statSync(file).mode & 0o777, 0o644);
  const unit = readFileSync(file, 'utf8');
  assert.equal(
    unit,
    `# cutover agent for ${root}/cutover.yml, written by "cutover agent systemd".
# Write it again after moving the project, node or cutover (docs/agent.md).
[Unit]
Description=cutover agent (${root}/.cutover)

[Service]
Type=simple
WorkingDirectory=${root}
Environment=${PATH_LINE}
ExecStart=${NODE} ${BIN} agent --config ${root}/cutover.yml
Restart=on-failure
RestartSec=2s
# SIGTERM to the agent alone: its instances keep running and the next agent adopts them.
KillSignal=SIGTERM
KillMode=process
TimeoutStopSec=30s
LimitNOFILE=65536
SyslogIdentifier=cutover-agent
NoNewPrivileges=yes

[Install]
WantedBy=default.target
`,
  );
  assert.match(result.stdout, /systemctl --user daemon-reload && systemctl --user enable --now agent\.service/);
  const verified = systemdAnalyze(file);
  if (!verified) return t.diagnostic('systemd-analyze is not installed');
  assert.doesNotMatch(verified.stderr, /agent\.service:\d+/, verified.stderr);
});

test('a data directory outside the project, extra --read-write paths and a port below 1024 (CAP_NET_BIND_SERVICE)', () => {
  const data = mkdtempSync(join(tmpdir(), 'cutover-unit-data-'));
  made.push(data);
  const root = project(`agent:\n  dataDir: ${data}\n  httpPort: 80\n`);
  const { stdout, code, stderr } = cli(root, '--run-as', 'root', '--read-write', '/var/cache/shop', '--read-write', join(root, 'sub'));
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`\nReadWritePaths=${root} ${data} /var/cache/shop\n`));
  assert.match(stdout, /\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n/);
});

test('refusals: an unknown account, a privileged port in a user unit, an unwritable --output, an unknown subcommand', () => {
  const root = project('agent:\n  httpPort: 443\n');
  const unknown = cli(root, '--run-as', 'no-such-user-cutover', '--json');
  assert.equal(unknown.code, 2);
  assert.equal(JSON.parse(unknown.stdout).error.code, 'CUT_ERR_AGENT_UNIT_USER_UNKNOWN');
  const port = cli(root, '--user', '--json');
  assert.equal(port.code, 2);
  assert.equal(JSON.parse(port.stdout).error.code, 'CUT_ERR_AGENT_UNIT_PRIVILEGED_PORT');
  const write = cli(root, '--run-as', 'root', '--output', join(root, 'missing-dir', 'x.service'), '--json');
  assert.equal(write.code, 1);
  assert.equal(JSON.parse(write.stdout).error.code, 'CUT_ERR_AGENT_UNIT_WRITE');
  assert.equal(existsSync(join(root, 'missing-dir')), false);
  const sub = spawnSync(NODE, [BIN, 'agent', 'sistemd', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(sub.status, 2);
  assert.equal(JSON.parse(sub.stdout).error.code, 'CUT_ERR_CLI_BAD_ARGUMENT');
});

test('systemd words: spaces quoted, % and $ escaped', () => {
  assert.equal(systemdWord('/srv/shop'), '/srv/shop');
  assert.equal(systemdWord('/srv/my shop'), '"/srv/my shop"');
  assert.equal(systemdWord('/srv/100%'), '/srv/100%%');
  assert.equal(systemdWord('a$b"c'), '"a$$b\\"c"');
});
