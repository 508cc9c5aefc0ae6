import type { AgentClient } from '../platform/agent-client.ts';

/**
 * After a first deploy failed (nothing served before it), stops every instance of the service that is
 * left, whatever step it failed at: a failed start leaves nothing behind. Returns the ids stopped.
 */
export async function stopServiceInstances(client: AgentClient, service: string): Promise<string[]> {
  const { instances } = await client.state(service);
  await Promise.allSettled(instances.map((i) => client.stopInstance(i.spec.id)));
  return instances.map((i) => i.spec.id);
}
