/**
 * The systemd unit that keeps an agent running across crashes and reboots (pure: built from its
 * inputs, tested by its exact text). `cutover agent systemd` gathers the inputs.
 *
 * Two ways to stop (docs/agent.md):
 * - default: `KillSignal=SIGTERM` + `KillMode=process`. systemd signals the agent alone; the agent
 *   stops and leaves its instances running, and the next agent (a restart after a crash, an
 *   upgrade, `systemctl restart`) adopts them without a gap. `systemctl stop` leaves the apps up
 *   too: `cutover down --agent` stops everything.
 * - stopInstances: `KillSignal=SIGINT` + `KillMode=mixed`. SIGINT makes the agent stop its
 *   instances (SIGTERM to each group, SIGKILL after its stopTimeoutMs) before it exits; whatever
 *   is left in the unit's cgroup then gets SIGKILL. A crash of the agent takes its instances down
 *   with it, and the restarted agent starts them again.
 */

export interface AgentUnitInput {
  /** The config file the agent serves (for the header and the ExecStart line). */
  configFile: string;
  /** node, the CLI script, and its arguments. */
  execStart: readonly string[];
  workingDirectory: string;
  dataDir: string;
  /** Paths the agent and its apps may write (ProtectSystem=strict makes everything else read-only). */
  readWritePaths: readonly string[];
  /** A user unit (`systemctl --user`): no User=, no namespace-based hardening (it needs privileges a user manager lacks). */
  userUnit: boolean;
  /** System units: the account the agent runs as. */
  user?: { name: string; group: string };
  stopInstances: boolean;
  /** Seconds systemd waits for the agent to stop before SIGKILL. */
  timeoutStopSec: number;
  /** A listener port below 1024: grant CAP_NET_BIND_SERVICE (system units only). */
  privilegedPort: boolean;
  /** Directories put in front of PATH (the node that runs cutover, so that apps find the same one). */
  pathDirs: readonly string[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One word of a systemd command line or path list: quoted when needed, `%` and `$` escaped. */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function buildAgentUnit(input: AgentUnitInput): string {
  const path = [...new Set([...input.pathDirs, ...DEFAULT_PATH.split(':')])].join(':');
  const lines = [
    `# cutover agent for ${input.configFile}, written by "cutover agent systemd".`,
    '# Write it again after moving the project, node or cutover (docs/agent.md).',
    '[Unit]',
    `Description=cutover agent (${input.dataDir})`,
  ];
  if (!input.userUnit) lines.push('After=network-online.target', 'Wants=network-online.target');
  lines.push('', '[Service]', 'Type=simple');
  if (!input.userUnit && input.user) lines.push(`User=${input.user.name}`, `Group=${input.user.group}`);
  lines.push(
    `WorkingDirectory=${systemdWord(input.workingDirectory)}`,
    `Environment=${systemdWord(`PATH=${path}`)}`,
    `ExecStart=${input.execStart.map(systemdWord).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=2s',
  );
  if (input.stopInstances) {
    lines.push('# SIGINT: the agent stops its instances, then exits; what is left of the unit gets SIGKILL.');
    lines.push('KillSignal=SIGINT', 'KillMode=mixed');
  } else {
    lines.push('# SIGTERM to the agent alone: its instances keep running and the next agent adopts them.');
    lines.push('KillSignal=SIGTERM', 'KillMode=process');
  }
  lines.push(`TimeoutStopSec=${input.timeoutStopSec}s`, 'LimitNOFILE=65536', 'SyslogIdentifier=cutover-agent', 'NoNewPrivileges=yes');
  if (!input.userUnit) {
    if (input.privilegedPort) lines.push('AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE');
    lines.push(
      'ProtectSystem=strict',
      `ReadWritePaths=${input.readWritePaths.map(systemdWord).join(' ')}`,
      'ProtectHome=read-only',
      'PrivateTmp=yes',
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectKernelLogs=yes',
      'ProtectControlGroups=yes',
      'ProtectClock=yes',
      'ProtectHostname=yes',
      'RestrictSUIDSGID=yes',
      'RestrictRealtime=yes',
      'LockPersonality=yes',
    );
  }
  lines.push('', '[Install]', `WantedBy=${input.userUnit ? 'default.target' : 'multi-user.target'}`, '');
  return lines.join('\n');
}
