import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reservePortRange } from '@cutover/service-kit/testing';
import { Agent, type AgentOptions } from '../../src/agent/agent.ts';
import { processStartTicks } from '../../src/agent/supervisor/process-identity.ts';

const PORT_RANGE = await reservePortRange();

const options = (dataDir: string): AgentOptions => ({
  dataDir,
  httpPort: 0,
  listenHost: '127.0.0.1',
  adminPort: 0,
  portRange: PORT_RANGE,
  logMaxBytes: 1024 * 1024,
  logKeepFiles: 1,
});

test('the pid and token files are 0600, written whole (no temporary file left), and name the agent by pid and start time', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-agent-files-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const agent = new Agent(options(dataDir));
  await agent.start();
  t.after(() => agent.stop({ stopInstances: true }));
  for (const file of ['agent.pid', 'agent.token']) assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, file);
  assert.deepEqual(
    readdirSync(dataDir).filter((name) => name.endsWith('.tmp')),
    [],
  );
  const recorded = JSON.parse(readFileSync(join(dataDir, 'agent.pid'), 'utf8')) as { pid: number; startTicks: number };
  assert.equal(recorded.pid, process.pid);
  assert.equal(recorded.startTicks, processStartTicks(process.pid));
});

test('a pid file whose pid now belongs to another process does not block a new agent', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-agent-files-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // A live process that is not the agent the file recorded: its start time differs (the kernel reused the pid).
  const stranger = spawn('sleep', ['30']);
  t.after(() => stranger.kill('SIGKILL'));
  const startTicks = processStartTicks(stranger.pid!)! - 100;
  writeFileSync(join(dataDir, 'agent.pid'), JSON.stringify({ pid: stranger.pid, startTicks, admin: 'x' }));
  const agent = new Agent(options(dataDir));
  await agent.start();
  await agent.stop({ stopInstances: true });
});

test('a pid file of a live agent (same pid and start time) is refused with CUT_ERR_AGENT_ALREADY_RUNNING', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-agent-files-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const other = spawn('sleep', ['30']);
  t.after(() => other.kill('SIGKILL'));
  writeFileSync(join(dataDir, 'agent.pid'), JSON.stringify({ pid: other.pid, startTicks: processStartTicks(other.pid!), admin: 'x' }));
  assert.throws(() => new Agent(options(dataDir)), { code: 'CUT_ERR_AGENT_ALREADY_RUNNING' });
});
