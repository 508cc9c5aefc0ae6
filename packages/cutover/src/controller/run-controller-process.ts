import { startController } from './controller-main.ts';

/**
 * Runs the controller in this process until SIGTERM, SIGINT, or (when the agent started it with an
 * IPC channel) the agent going away. Running deployments stay recorded as running: the next
 * controller resumes them. Returns the exit code.
 */
export async function runControllerProcess(dataDir: string, log: (line: string) => void): Promise<number> {
  const loadedMs = Math.round(performance.now());
  const controller = await startController(dataDir);
  const resumed = controller.context.deployments.running();
  log(
    `controller ${process.pid} serving ${controller.context.paths.controllerSocket}: modules loaded ${loadedMs} ms, serving ${Math.round(performance.now())} ms after its process started${resumed.length ? `; resumed deployments ${resumed.join(', ')}` : ''}`,
  );
  const code = await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      log(`controller ${process.pid} stopping: ${why}`);
      controller.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    if (process.channel) {
      process.channel.unref();
      process.once('disconnect', () => stop('the agent went away'));
    }
  });
  // In-flight work (a deployment's timers, agent calls) must not keep a stopped controller alive.
  setTimeout(() => process.exit(code), 50).unref();
  return code;
}
