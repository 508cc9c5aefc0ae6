import { type ChildProcess, fork } from 'node:child_process';
import type { Cleanup } from './cleanup.ts';

/**
 * Forks a proxy-floor-server.ts (`script`, of this checkout or another) in `mode` and resolves once
 * it says it listens; the bench's cleanup kills it. `label` names it in cleanup and errors.
 */
export async function startFloorServer(
  cleanup: Cleanup,
  script: string,
  mode: string,
  env: Record<string, string>,
  label = mode,
): Promise<ChildProcess> {
  const child = fork(script, [mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  cleanup.add(label, () => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${label} exited ${code} before it was ready`)));
  });
  return child;
}
