import { type LoadOptions, type LoadResult, runLoad } from './load-generator.ts';
import { type CliResult, collect, type Sandbox } from './sandbox.ts';

export interface RecordedEvent {
  at: number;
  type: string;
  data: Record<string, unknown>;
}

export interface DeploymentJson {
  id: number;
  toRelease?: string;
  state: string;
  reason: string | null;
  rolledBackTo: string | null;
  events: RecordedEvent[];
  steps: { name: string; outcome: string; reason: string | null; values: Record<string, unknown> }[];
}

/** Runs `cutover <args> --json` while an open-loop load runs (leadMs before, tailMs after); returns both. */
export async function deployUnderLoad(
  box: Sandbox,
  args: string[],
  load: Omit<LoadOptions, 'url' | 'durationMs'>,
  options: { leadMs?: number; tailMs?: number; during?: () => Promise<void> } = {},
): Promise<{ cli: CliResult; load: LoadResult; record: DeploymentJson | null }> {
  const stop = new AbortController();
  const running = runLoad({ url: box.url, durationMs: 110_000, ...load }, stop.signal);
  try {
    await sleep(options.leadMs ?? 1000);
    const child = box.spawnCli([...args, '--json']);
    const [cli] = await Promise.all([collect(child, 100_000), options.during?.()]);
    await sleep(options.tailMs ?? 1000);
    stop.abort();
    return { cli, load: await running, record: parseRecord(cli.stdout) };
  } finally {
    stop.abort();
    await running;
  }
}

export function parseRecord(stdout: string): DeploymentJson | null {
  try {
    return (JSON.parse(stdout) as { deployment?: DeploymentJson }).deployment ?? null;
  } catch {
    return null;
  }
}

/** The parts of `cutover status --json` the rollout tests read. */
export interface StatusJson {
  serving: string | null;
  route: { weights: Record<string, number> | null } | null;
  rollout: { strategy: string | null; weights: Record<string, number> | null; waitingFor: string | null; verdicts: unknown[] } | null;
  lastDeployment: DeploymentJson | null;
  instances: { spec: { release: string } }[];
}

/** Polls `cutover status --json` until `until` holds (or throws after timeoutMs). */
export async function waitForStatus(box: Sandbox, until: (status: StatusJson) => boolean, timeoutMs = 30_000): Promise<StatusJson> {
  const deadline = Date.now() + timeoutMs;
  let last: StatusJson | null = null;
  while (Date.now() < deadline) {
    const result = await box.cli(['status', '--json'], { timeoutMs: 10_000 });
    if (result.code === 0) {
      last = JSON.parse(result.stdout) as StatusJson;
      if (until(last)) return last;
    }
    await sleep(200);
  }
  throw new Error(`status never matched within ${timeoutMs} ms; last: ${JSON.stringify(last?.rollout ?? last)}`);
}

export function eventsOf(record: DeploymentJson, type: string): RecordedEvent[] {
  return record.events.filter((event) => event.type === type);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
