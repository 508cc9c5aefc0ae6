// Every verb's output into a pipe whose reader already left (`cutover status | head -1`) ends the
// CLI quietly with its own exit code: no EPIPE stack trace, no CUT_ERR_CLI_INTERNAL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands.ts';

const CLI = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cutover-closed-pipe-'));
writeFileSync(
  join(dir, 'cutover.yml'),
  'service: closed-pipe\nrelease: { source: directory, path: "releases/{release}" }\nprocesses:\n  web: { command: node server.js }\n',
);
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with its stdout (and, if asked, stderr) a pipe whose reading end is closed at once. */
function runIntoClosedPipe(args: string[], closeStderr = false): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1' },
    });
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function assertQuiet(what: string, run: { code: number | null; signal: string | null; stderr: string }, code: number) {
  assert.equal(run.signal, null, `${what}: killed by ${run.signal}`);
  assert.doesNotMatch(run.stderr, /EPIPE|Unhandled 'error'|CUT_ERR_CLI_INTERNAL|\n\s+at /, `${what}: ${run.stderr}`);
  assert.equal(run.code, code, `${what}: exit code ${run.code}, stderr: ${run.stderr}`);
}

test('the overview, the version and "help config" into a closed pipe exit 0 without a stack trace', async () => {
  for (const args of [['--help'], ['--version'], ['help', 'config']]) assertQuiet(args.join(' '), await runIntoClosedPipe(args), 0);
});

test("every verb's --help into a closed pipe exits 0 without a stack trace", async () => {
  for (const command of COMMANDS) assertQuiet(`${command.name} --help`, await runIntoClosedPipe([command.name, '--help']), 0);
});

test('status and history (several writes each, human and --json) into a closed pipe exit 0 without a stack trace', async () => {
  for (const args of [['status'], ['status', '--json'], ['history'], ['history', '--json']]) {
    assertQuiet(args.join(' '), await runIntoClosedPipe(args), 0);
  }
});

test('a failing command keeps its exit code when stdout and stderr are both closed', async () => {
  // CUT_ERR_CLI_UNKNOWN_COMMAND exits 2 (docs/errors.md); its message goes to the closed stderr.
  assertQuiet('an unknown verb', await runIntoClosedPipe(['no-such-verb'], true), 2);
  assertQuiet('an unknown verb, --json', await runIntoClosedPipe(['no-such-verb', '--json'], true), 2);
});
