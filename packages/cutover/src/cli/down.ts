import { stopAccessories } from '../accessories/stop-accessories.ts';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { isPidAlive } from '../shared/process-group.ts';
import type { Command } from './command.ts';

/** How long `cutover down` waits for the agent to stop its apps and exit. */
export const DOWN_TIMEOUT_MS = 60_000;

export const downCommand: Command = {
  name: 'down',
  summary: 'stop the service instances and the agent',
  usage: 'cutover down',
  exitCodes: { 3: 'the agent did not stop in time, or refused the request' },
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const client = new AgentClient(loaded.dataDir);
    if (!(await client.isRunning())) {
      const accessories = loaded.config.accessories ? await stopAccessories(loaded) : [];
      out.result({ stopped: false, reason: 'not running', accessories });
      out.line('the agent is not running: nothing to stop');
      return 0;
    }
    const step = out.step('stopping instances and the agent');
    const { pid } = await client.health();
    await client.shutdown(true);
    // Done means the agent process is gone, not only its socket: the next `cutover up` may start at once.
    const deadline = Date.now() + DOWN_TIMEOUT_MS;
    while (Date.now() < deadline && isPidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
    if (isPidAlive(pid)) {
      step.fail(`agent pid ${pid} still running after ${DOWN_TIMEOUT_MS} ms`);
      throw new CutoverError('CUT_ERR_AGENT_REQUEST', `the agent (pid ${pid}) did not exit within ${DOWN_TIMEOUT_MS} ms`, {
        where: client.paths.agentLog,
        hint: `read ${client.paths.agentLog}; "kill ${pid}" stops it (the apps were asked to stop first)`,
      });
    }
    step.done();
    const accessories = loaded.config.accessories ? await stopAccessories(loaded) : [];
    for (const accessory of accessories) out.line(`accessory ${accessory.name}: ${accessory.stopped ? 'stopped' : 'was not running'}`);
    out.result({ stopped: true, accessories });
    return 0;
  },
};
