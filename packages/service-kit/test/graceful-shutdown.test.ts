import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor, within } from './helpers/wait-for.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));
const children: ChildProcess[] = [];

function startFixture(env: Record<string, string>) {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  return {
    child,
    exited,
    stderr: () => stderr,
    port: () => waitFor('fixture port', () => /PORT=(\d+)/.exec(stderr)?.[1], 20_000).then(Number),
  };
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const status = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    async (response) => {
      await response.arrayBuffer();
      return response.status;
    },
    () => 'refused' as const,
  );

describe('graceful shutdown of a real child process', () => {
  test('SIGTERM: readiness turns 503 while the in-flight request completes, then exit 0', async () => {
    const fixture = startFixture({ SLOW_MS: '2500', DELAY_MS: '1500', GRACE_MS: '10000' });
    const port = await fixture.port();
    const base = `http://127.0.0.1:${port}`;
    assert.equal(await status(`${base}/health/ready`), 200);

    let slowFinished = false;
    const slow = fetch(`${base}/slow`, { signal: AbortSignal.timeout(15_000) }).then(async (response) => {
      const body = await response.json();
      slowFinished = true;
      return { status: response.status, body };
    });
    await waitFor('slow request to start', () => (fixture.stderr().includes('SLOW_STARTED') ? true : undefined));

    fixture.child.kill('SIGTERM');
    const readyDuringDrain = await waitFor(
      'readiness 503',
      async () => ((await status(`${base}/health/ready`)) === 503 ? 503 : undefined),
      5_000,
    );
    assert.equal(readyDuringDrain, 503);
    assert.equal(slowFinished, false, 'readiness must fail while the slow request is still in flight');
    assert.equal(await status(`${base}/health/live`), 200, 'liveness passes while draining');

    const finished = await slow;
    assert.deepEqual(finished, { status: 200, body: { done: true } });
    const exit = await within(fixture.exited, 12_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(fixture.stderr(), /DRAINING/);
    assert.match(fixture.stderr(), /CLOSE_HOOK_RAN/);
  });

  test('a request outlasting the grace period forces exit 1 within the grace period', async () => {
    const fixture = startFixture({ SLOW_MS: '30000', DELAY_MS: '100', GRACE_MS: '1500' });
    const port = await fixture.port();
    const slow = fetch(`http://127.0.0.1:${port}/slow`, { signal: AbortSignal.timeout(20_000) }).catch(() => 'aborted');
    await waitFor('slow request to start', () => (fixture.stderr().includes('SLOW_STARTED') ? true : undefined));
    const signalledAt = performance.now();
    fixture.child.kill('SIGTERM');
    const exit = await within(fixture.exited, 10_000);
    assert.deepEqual(exit, { code: 1, signal: null });
    const tookMs = performance.now() - signalledAt;
    assert.ok(tookMs < 8_000, `forced exit took ${tookMs} ms`);
    await slow;
  });
});
