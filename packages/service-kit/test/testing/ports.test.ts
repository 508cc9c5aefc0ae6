import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BLOCK_SIZE, freePort, reservePortRange } from '../../src/testing/ports.ts';

const PORTS_MODULE = fileURLToPath(new URL('../../src/testing/ports.ts', import.meta.url));

/** A separate test process: claims ranges and free ports the way a test file does, and prints them. */
const CHILD = `
const { freePort, reservePortRange } = await import(${JSON.stringify(PORTS_MODULE)});
const ranges = await Promise.all([reservePortRange(), reservePortRange(10), reservePortRange()]);
const ports = await Promise.all(Array.from({ length: 120 }, () => freePort()));
console.log(JSON.stringify({ ranges, ports }));
// Lives (and holds its blocks) until the parent has heard from every process.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

/** Starts one such process; resolves with what it printed, while it still runs. */
function claimant(): { child: ChildProcess; printed: Promise<string> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const printed = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.endsWith('\n')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`claimant exited with ${code} before printing`)));
  });
  return { child, printed };
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

test('processes started together never get overlapping ranges or the same port', { timeout: 120_000 }, async () => {
  const claimants = Array.from({ length: 6 }, claimant);
  let outputs: string[];
  try {
    outputs = await Promise.all(claimants.map((c) => c.printed));
  } finally {
    for (const { child } of claimants) child.stdin?.end();
  }
  const taken: number[] = [];
  for (const stdout of outputs) {
    const { ranges, ports } = JSON.parse(stdout) as { ranges: [number, number][]; ports: number[] };
    for (const [first, last] of ranges) for (let port = first; port <= last; port++) taken.push(port);
    taken.push(...ports);
  }
  // 6 processes × (99 + 10 + 99 range ports + 120 single ports): 120 single ports need two blocks.
  assert.equal(taken.length, 6 * (99 + 10 + 99 + 120));
  const twice = taken.filter((port, i) => taken.indexOf(port) !== i);
  assert.deepEqual(twice, [], 'a port was handed to two processes');
  for (const port of taken) {
    assert.ok((port >= 10_001 && port <= 19_999) || (port >= 30_001 && port <= 32_699), `${port} is outside the test regions`);
    assert.ok(port < 20_000 || port > 29_999, `${port} is in cutover's default portRange`);
  }
});

test('a claimed block is locked by a listener on its first port; its ports are free and within size', async () => {
  const [first, last] = await reservePortRange(5);
  assert.equal(last - first + 1, 5);
  assert.equal((first - 1) % BLOCK_SIZE, 0, 'a block starts on a multiple of the block size');
  assert.equal(await bindable(first - 1), false, 'the lock port is held while this process lives');
  for (let port = first; port <= last; port++) assert.equal(await bindable(port), true, `${port} is free`);
});

test('freePort skips a port something else listens on', async () => {
  const a = await freePort();
  // Something outside the tests takes the next port of the block: freePort must not hand it out.
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: a + 1, exclusive: true }, resolve));
  try {
    const b = await freePort();
    assert.notEqual(b, a + 1);
    assert.notEqual(b, a);
  } finally {
    squatter.close();
  }
});

test('a size outside 1-99 is refused', async () => {
  await assert.rejects(reservePortRange(0), RangeError);
  await assert.rejects(reservePortRange(BLOCK_SIZE), RangeError);
});
