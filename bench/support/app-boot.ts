/**
 * How long the demo app really takes from spawn to its first 200 on /up on this machine now: Node's
 * own start and the app's imports come on top of its configured boot delay, and grow with the load.
 * The deploy bench subtracts this (measured in the same run) to report what a tool adds per instance.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { freePort, Sandbox } from '../../test/e2e/support/sandbox.ts';
import { sleep } from './processes.ts';

const POLL_MS = 5;
const GIVE_UP_MS = 30_000;

function upStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/up', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Spawn → first 200 on /up of one demo app instance, in ms; the instance is stopped afterwards. */
async function bootOnce(dir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    while (performance.now() - started < GIVE_UP_MS) {
      if ((await upStatus(port)) === 200) return performance.now() - started;
      await sleep(POLL_MS);
    }
    throw new Error(`the demo app did not answer 200 on /up within ${GIVE_UP_MS} ms`);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** `samples` boots one after the other of the demo app with `bootDelayMs`; each in ms. */
export async function measureAppBoot(bootDelayMs: number, samples: number): Promise<number[]> {
  const box = new Sandbox('cutover-bench-boot-');
  try {
    box.release('boot', { bootDelayMs });
    const dir = `${box.dir}/releases/boot`;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push(await bootOnce(dir));
    return times;
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
}
