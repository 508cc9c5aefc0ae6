import { stopAccessories } from '../accessories/stop-accessories.ts';
import { type LoadedConfig, loadConfig } from '../config/load-config.ts';
import { currentRelease } from '../controller/deployment-state.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { isPidAlive } from '../shared/process-group.ts';
import type { Command } from './command.ts';
import type { Output } from './output.ts';
import { writeStopRecord } from './stop-record.ts';

/** How long `cutover down` waits for the agent to stop its apps and exit. */
export const DOWN_TIMEOUT_MS = 60_000;

export const downCommand: Command = {
  name: 'down',
  summary: 'stop the service of cutover.yml (--agent: the agent and every service it runs too)',
  usage: 'cutover down [--agent]',
  description: [
    'Stops the instances of the service that cutover.yml describes, and its private accessories. Other',
    'services of the same agent keep running, and so does the agent: "cutover down --agent" stops it and',
    'every service it runs. "cutover up" later brings back the release that served.',
  ].join('\n'),
  options: { agent: { type: 'boolean', help: 'also stop the agent, and with it every service it runs' } },
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
    const { instances } = await client.state();
    // Remember what served, per service, so that `cutover up` brings it back.
    const services = new Set(instances.map((i) => i.spec.service));
    const remembered = [...services].filter((service) => (!options.agent ? service === loaded.config.service : true));
    for (const service of remembered) {
      const release = currentRelease(instances.filter((i) => i.spec.service === service));
      if (release) writeStopRecord(loaded.dataDir, { service, release, stoppedAt: Date.now() });
    }
    const stopped = options.agent ? await stopAgent(client, out) : await stopService(client, loaded, out, instances);
    const accessories = loaded.config.accessories ? await stopAccessories(loaded) : [];
    for (const accessory of accessories) out.line(`accessory ${accessory.name}: ${accessory.stopped ? 'stopped' : 'was not running'}`);
    out.result({ ...stopped, accessories });
    return 0;
  },
};

type Instances = Awaited<ReturnType<AgentClient['state']>>['instances'];

async function stopService(client: AgentClient, loaded: LoadedConfig, out: Output, instances: Instances): Promise<Record<string, unknown>> {
  const service = loaded.config.service;
  const mine = instances.filter((i) => i.spec.service === service);
  const others = [...new Set(instances.filter((i) => i.spec.service !== service).map((i) => i.spec.service))];
  const step = out.step(`stopping ${mine.length} instance${mine.length === 1 ? '' : 's'} of ${service}`);
  const results = await Promise.allSettled(mine.map((i) => client.stopInstance(i.spec.id)));
  const failed = results.flatMap((r, index) => (r.status === 'rejected' ? [`${mine[index].spec.id}: ${(r.reason as Error).message}`] : []));
  if (failed.length > 0) {
    step.fail(`${failed.length} did not stop`);
    throw new CutoverError('CUT_ERR_AGENT_REQUEST', `could not stop ${failed.join('; ')}`, {
      hint: 'run "cutover status" to see what still runs, then "cutover down" again',
    });
  }
  step.done();
  const { pid } = await client.health();
  out.line(
    `${service} stopped; the agent (pid ${pid}) keeps running${others.length > 0 ? ` for ${others.join(', ')}` : ', serving no instance'}: "cutover down --agent" stops it too`,
  );
  return { stopped: true, service, instances: mine.length, agent: { running: true, pid, services: others } };
}

async function stopAgent(client: AgentClient, out: Output): Promise<Record<string, unknown>> {
  const step = out.step('stopping every instance and the agent');
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
  out.line(`the agent (pid ${pid}) and every service it ran are stopped`);
  return { stopped: true, agent: { running: false, pid } };
}
