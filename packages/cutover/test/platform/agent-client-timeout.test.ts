import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AgentClient } from '../../src/platform/agent-client.ts';

test('an agent that accepts the call but never answers fails it with CUT_ERR_AGENT_TIMEOUT', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cutover-client-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  writeFileSync(join(dataDir, 'agent.token'), 'token', { mode: 0o600 });
  // A stuck agent: its socket accepts connections and reads requests, and answers nothing.
  const sockets = new Set<Socket>();
  const stuck = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => stuck.listen(join(dataDir, 'agent.sock'), resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    stuck.close();
  });
  const client = new AgentClient(dataDir, { callTimeoutMs: 300 });
  const startedMs = Date.now();
  await assert.rejects(client.state(), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'CUT_ERR_AGENT_TIMEOUT');
    assert.match(error.message, /did not answer GET \/v1\/state within 300 ms/);
    return true;
  });
  assert.ok(Date.now() - startedMs < 5000);
  assert.equal(await client.isRunning(), false, 'a stuck agent is not taken for a running one');
});
