import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstanceSpec, ProcessSupervisor } from '../../../src/agent/supervisor/process-supervisor.ts';
import type { HealthCheckConfig, RestartPolicyConfig } from '../../../src/config/schema.ts';

/**
 * One small app for every supervisor test, steered by env vars:
 *   APP_MODE        http | tcp | worker (no port)
 *   NEVER_READY=1   /up answers 503 forever
 *   CRASH_ONCE_FILE exit 1 after CRASH_AFTER_MS unless this file exists (it is created first)
 *   CRASH_ALWAYS=1  exit 1 after CRASH_AFTER_MS, every run
 *   IGNORE_SIGTERM=1 log and keep running on SIGTERM
 *   SPAM_BYTES      write this many bytes of numbered lines at start
 *   TICK_LOG_MS     write a numbered "tick N" line this often
 *   DOWN_FILE       /up answers 503 while this file exists
 *   SIGTERM_FILE    on SIGTERM, write "held=N" (requests to /hold still unanswered) to this file
 * Its /hold requests stay unanswered until a request to /release; /held answers how many wait.
 */
const APP = `
import { createServer } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
const env = process.env;
console.log('boot ' + env.CUTOVER_INSTANCE_ID + ' pid ' + process.pid + ' port ' + (env.PORT ?? 'none'));
if (env.SPAM_BYTES) {
  let written = 0, n = 0;
  while (written < Number(env.SPAM_BYTES)) { const line = 'line ' + (n++) + ' ' + 'x'.repeat(60); console.log(line); written += line.length + 1; }
}
if (env.TICK_LOG_MS) {
  let tick = 0;
  setInterval(() => console.log('tick ' + (tick++) + ' ' + 'y'.repeat(40)), Number(env.TICK_LOG_MS));
}
const held = [];
process.on('SIGTERM', () => {
  console.log('got SIGTERM');
  if (env.SIGTERM_FILE) writeFileSync(env.SIGTERM_FILE, 'held=' + held.length);
  if (env.IGNORE_SIGTERM === '1') return;
  setTimeout(() => process.exit(0), 50);
});
const crashAfter = Number(env.CRASH_AFTER_MS ?? 300);
if (env.CRASH_ALWAYS === '1') setTimeout(() => { console.error('boom'); process.exit(1); }, crashAfter);
if (env.CRASH_ONCE_FILE && !existsSync(env.CRASH_ONCE_FILE)) {
  writeFileSync(env.CRASH_ONCE_FILE, 'crashed');
  setTimeout(() => { console.error('crash once'); process.exit(1); }, crashAfter);
}
if (env.APP_MODE === 'http') {
  createServer((req, res) => {
    if (req.url === '/up') {
      const down = env.NEVER_READY === '1' || (env.DOWN_FILE && existsSync(env.DOWN_FILE));
      res.statusCode = down ? 503 : 200;
      return res.end('ok');
    }
    if (req.url === '/teapot') { res.statusCode = 418; return res.end(); }
    if (req.url === '/hold') return void held.push(res);
    if (req.url === '/held') return res.end(String(held.length));
    if (req.url === '/release') { for (const waiting of held.splice(0)) waiting.end('released'); return res.end(); }
    res.end('hello from ' + env.CUTOVER_INSTANCE_ID);
  }).listen(Number(env.PORT), '127.0.0.1');
} else if (env.APP_MODE === 'tcp') {
  createTcp((socket) => socket.end('hi')).listen(Number(env.PORT), '127.0.0.1');
} else {
  setInterval(() => {}, 1000);
}
`;

export interface Sandbox {
  dir: string;
  appDir: string;
  logDir: string;
  /** A shell-quoted command line that runs the app with this Node. */
  command: string;
  cleanup(): Promise<void>;
}

export async function makeSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-supervisor-'));
  const appDir = join(dir, 'app');
  await mkdir(appDir);
  await writeFile(join(appDir, 'app.mjs'), APP);
  return {
    dir,
    appDir,
    logDir: join(dir, 'logs'),
    command: `'${process.execPath}' app.mjs`,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export const FAST_RESTART: RestartPolicyConfig = { maxRestarts: 3, backoffMs: 50, maxBackoffMs: 200, windowMs: 60_000 };

export function health(type: 'http' | 'tcp' | 'process', overrides: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  const timing = {
    intervalMs: 200,
    startIntervalMs: 50,
    timeoutMs: 1000,
    healthyThreshold: 1,
    unhealthyThreshold: 2,
    startTimeoutMs: 20_000,
    upForMs: 300,
  };
  const base = type === 'http' ? { type, path: '/up', expectStatus: undefined } : { type };
  return { ...timing, ...base, ...overrides } as HealthCheckConfig;
}

let counter = 0;
export function spec(box: Sandbox, overrides: Partial<InstanceSpec> & { appEnv?: Record<string, string> } = {}): InstanceSpec {
  const { appEnv, ...rest } = overrides;
  counter += 1;
  return {
    id: `web-${process.pid}-${counter}`,
    service: 'shop',
    release: 'r1',
    processType: 'web',
    command: box.command,
    cwd: box.appDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', APP_MODE: 'http', ...appEnv },
    portEnv: 'PORT',
    health: health('http'),
    restart: FAST_RESTART,
    stopTimeoutMs: 3000,
    ...rest,
  };
}

/** Records every pid a supervisor ever ran, so `after` can kill leftovers even when a test failed midway. */
export function trackPids(supervisor: ProcessSupervisor, pids: Set<number>): void {
  supervisor.on('instance:state', (info) => {
    if (info.pid !== null) pids.add(info.pid);
  });
}

export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
