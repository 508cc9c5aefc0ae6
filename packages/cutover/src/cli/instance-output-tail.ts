import { join } from 'node:path';
import { agentPaths } from '../agent/agent-paths.ts';
import { readLogTail } from '../agent/supervisor/log-reader.ts';

/** Lines of an instance's own output shown with a failed deployment. */
export const FAILED_INSTANCE_TAIL_LINES = 5;

/**
 * The last lines an instance wrote (its stdout and stderr; cutover's own notes left out), for each
 * instance a failure reason names ("instance v2.web.d3.1: ..."). Empty when there are none.
 */
export async function failedInstanceOutput(dataDir: string, service: string, reason: string | null): Promise<Record<string, string[]>> {
  const ids = [...new Set([...(reason ?? '').matchAll(/instances? ([\w.-]+?):? /g)].map((m) => m[1]))];
  const tails: Record<string, string[]> = {};
  for (const id of ids) {
    const file = join(agentPaths(dataDir).logDir, service, `${id}.log`);
    const lines = (await readLogTail(file, 50).catch(() => [] as string[])).filter((line) => !line.startsWith('[cutover '));
    if (lines.length > 0) tails[id] = lines.slice(-FAILED_INSTANCE_TAIL_LINES);
  }
  return tails;
}
