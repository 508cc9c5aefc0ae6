// The corpus of invalid cutover.yml files: one per class of mistake, each refused at load with its
// code, path and line (written in the file's own `# expect-*` header), and through the CLI with
// exit code 2 and nothing left behind: no data directory, no process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MAX_CONFIG_BYTES } from '../../src/config/config-limits.ts';
import { type ConfigProblem, loadConfig } from '../../src/config/load-config.ts';
import { CutoverError } from '../../src/errors/cutover-error.ts';
import { ERROR_CODES } from '../../src/errors/registry.ts';

const CORPUS = join(import.meta.dirname, 'corpus');
const CLI = join(import.meta.dirname, '../../bin/cutover.js');

interface Expectation {
  code?: string;
  path?: string;
  line?: number;
  other?: string;
  message?: RegExp;
  valid?: string;
}

function expectationOf(text: string): Expectation {
  const header = Object.fromEntries([...text.matchAll(/^# expect-([a-z]+): (.*)$/gm)].map((m) => [m[1], m[2]]));
  return {
    code: header.code,
    path: header.path,
    line: header.line ? Number(header.line) : undefined,
    other: header.other,
    message: header.message ? new RegExp(header.message) : undefined,
    valid: header.valid,
  };
}

const work = mkdtempSync(join(tmpdir(), 'cutover-corpus-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A huge file is generated, not stored: a valid start, then comment lines past the limit. */
function hugeFile(): string {
  const file = join(work, 'huge.yml');
  const filler = `# ${'x'.repeat(78)}\n`.repeat(Math.ceil(MAX_CONFIG_BYTES / 80) + 10);
  writeFileSync(file, `service: shop\nprocesses:\n  web:\n    command: node server.js\n${filler}`);
  return file;
}

const files = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.yml'))
  .sort()
  .map((name) => ({ name, file: join(CORPUS, name), expect: expectationOf(readFileSync(join(CORPUS, name), 'utf8')) }));
files.push({
  name: 'huge.yml (generated)',
  file: hugeFile(),
  expect: { code: 'CUT_ERR_CONFIG_TOO_LARGE', line: 12_949, message: /has \d+ bytes, more than the 1048576/ },
});

function refusal(file: string): CutoverError {
  try {
    loadConfig(work, file);
  } catch (error) {
    if (error instanceof CutoverError) return error;
    throw error;
  }
  assert.fail(`${file} was accepted`);
}

describe('the corpus of invalid cutover.yml files', () => {
  test('has a file for every class', () => assert.ok(files.length >= 18, `${files.length} files`));

  for (const { name, file, expect } of files) {
    test(name, () => {
      if (expect.valid) {
        const { config } = loadConfig(work, file);
        const [path, value] = expect.valid.split('=');
        const actual = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
        assert.equal(String(actual), value);
        return;
      }
      const error = refusal(file);
      assert.equal(error.code, expect.code, error.message);
      assert.equal(error.exitCode, 2);
      assert.ok(error.hint, 'a hint says what to do next');
      if (expect.path !== undefined) {
        const problems = error.details.problems as ConfigProblem[];
        const problem = problems.find((p) => p.path === expect.path);
        assert.ok(problem, `no problem at ${expect.path}: ${error.message}`);
        assert.equal(problem.line, expect.line, error.message);
        if (expect.other) assert.equal(problem.otherPath, expect.other);
        if (expect.message) assert.match(problem.message, expect.message);
        assert.doesNotMatch(problem.message, /^Invalid input$|is required/);
      } else {
        assert.equal(error.details.line, expect.line, error.message);
        assert.match(error.where ?? '', new RegExp(`:${expect.line}$`));
        if (expect.message) assert.match(error.message, expect.message);
      }
    });
  }
});

test('a directory named as the config is a config error, not a crash', () => {
  const dir = mkdtempSync(join(work, 'dir-'));
  const error = refusal(dir);
  assert.equal(error.code, 'CUT_ERR_CONFIG_UNREADABLE');
  assert.match(error.message, /it is a directory/);
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Pids of processes whose command line or working directory is inside `dir`. */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('cutover up with an invalid file', () => {
  for (const { name, file, expect } of files.filter((f) => !f.expect.valid)) {
    test(`${name}: exit 2, the error object, nothing left behind`, async () => {
      const dir = mkdtempSync(join(work, 'up-'));
      const config = join(dir, 'cutover.yml');
      copyFileSync(file, config);
      const run = await runCli(['up', '--release', 'v1', '--json'], dir);
      assert.equal(run.code, ERROR_CODES[expect.code as keyof typeof ERROR_CODES].exitCode, run.stderr);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; hint: string; details: { problems?: ConfigProblem[] } } };
      assert.equal(error.code, expect.code);
      assert.ok(error.hint);
      if (expect.path) assert.ok(error.details.problems?.some((p) => p.path === expect.path && p.line === expect.line));
      assert.equal(existsSync(join(dir, '.cutover')), false, 'no data directory');
      assert.deepEqual(processesIn(dir), [], 'no process');
    });
  }
});
