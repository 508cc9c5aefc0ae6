// Every verb: options after `--` are arguments, never cutover's own (no JSON, no help, no other config).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands.ts';

const BIN = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));

function cutover(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('for every verb, --json and --help after -- are not cutover options', { timeout: 240_000 }, async () => {
  for (const { name } of COMMANDS) {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-terminator-'));
    try {
      // A config that does not exist: every verb that needs one fails on it, the others do their work.
      const missing = join(dir, 'missing', 'cutover.yml');
      const after = await cutover(dir, [name, '--config', missing, '--', '--json', '--help']);
      assert.doesNotMatch(after.stdout, /^\s*\{/, `${name}: --json after -- printed JSON:\n${after.stdout}`);
      assert.doesNotMatch(after.stdout, /^Usage: /, `${name}: --help after -- printed the help`);
      // The control: before --, the same flag is cutover's.
      const before = await cutover(dir, [name, '--config', missing, '--json', '--', 'x']);
      assert.match(before.stdout, /^\s*\{/, `${name}: --json before -- prints JSON:\n${before.stdout}\n${before.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
