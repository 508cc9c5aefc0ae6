import { killCommands } from './processes.ts';

/**
 * Every process a bench starts is registered here with the action that stops it. The actions run
 * (newest first, each at most once) when the bench ends, fails, is interrupted (Ctrl-C, SIGTERM)
 * or overruns its time bound, so a bench never leaves an agent, a PM2 daemon or an nginx behind.
 */
export class Cleanup {
  private readonly actions: { name: string; run: () => Promise<void> | void }[] = [];

  /** Registers an undo action; the returned function runs it now and unregisters it. */
  add(name: string, run: () => Promise<void> | void): () => Promise<void> {
    const action = { name, run };
    this.actions.push(action);
    return async () => {
      const index = this.actions.indexOf(action);
      if (index === -1) return;
      this.actions.splice(index, 1);
      await action.run();
    };
  }

  /** Runs every remaining action, newest first; a failing action is reported and the others still run. */
  async runAll(): Promise<void> {
    while (this.actions.length > 0) {
      const action = this.actions.pop()!;
      try {
        await action.run();
      } catch (error) {
        console.error(`cleanup "${action.name}" failed: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * Runs a bench with its cleanup guaranteed, then exits: 0 on success, 1 on failure or when
 * `maxMs` passes, 130 on Ctrl-C.
 */
export async function runBench(maxMs: number, main: (cleanup: Cleanup) => Promise<void>): Promise<never> {
  const cleanup = new Cleanup();
  let exiting = false;
  const bail = async (why: string, code: number) => {
    if (exiting) return;
    exiting = true;
    console.error(`\n${why}: stopping everything the bench started`);
    killCommands();
    await cleanup.runAll();
    process.exit(code);
  };
  process.once('SIGINT', () => void bail('interrupted', 130));
  process.once('SIGTERM', () => void bail('terminated', 143));
  const deadline = setTimeout(() => void bail(`time bound of ${Math.round(maxMs / 1000)} s passed`, 1), maxMs);
  try {
    await main(cleanup);
  } catch (error) {
    await bail(`bench failed: ${(error as Error).stack ?? error}`, 1);
  }
  clearTimeout(deadline);
  // An interruption is already cleaning up and will exit with its own code.
  if (exiting) await new Promise(() => {});
  exiting = true;
  await cleanup.runAll();
  // Keep-alive sockets or timers left by a contender must not keep the bench alive.
  process.exit(0);
}
