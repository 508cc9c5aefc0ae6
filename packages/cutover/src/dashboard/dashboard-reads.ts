import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readLogTail } from '../agent/supervisor/log-reader.ts';
import type { DeploymentStore, EventRecord } from '../store/deployment-store.ts';
import { renderDeployment } from './dashboard-html.ts';

/** The events the page plots and lists (weights, measurements, verdicts, who steered it). */
const CHART_EVENTS = new Set([
  'weights:set',
  'analysis:measurement',
  'analysis:verdict',
  'signal:received',
  'signal:handled',
  'dashboard:action',
]);
/** Lines of a log the page shows at most. */
export const LOG_LINES = 200;

export interface DeploymentView {
  html: string;
  data: { id: number; service: string; state: string; startedAt: number; events: EventRecord[] };
}

/** One deployment as the page opens it: the rendered timeline and the events behind its charts. */
export function deploymentView(store: DeploymentStore, id: number): DeploymentView | undefined {
  const record = store.deployment(id);
  if (!record) return undefined;
  return {
    html: renderDeployment(record),
    data: {
      id: record.id,
      service: record.service,
      state: record.state,
      startedAt: record.startedAt,
      events: record.events.filter((e) => CHART_EVENTS.has(e.type)),
    },
  };
}

/**
 * The last lines of one instance's log (or of every instance's), keeping those that contain the
 * filter (case-insensitive). Instance ids are checked against the log directory, never used as paths.
 */
export async function readLogs(logDir: string, instance: string, filter: string): Promise<{ instances: string[]; lines: string[] }> {
  const files: { id: string; file: string }[] = [];
  if (existsSync(logDir)) {
    for (const service of readdirSync(logDir, { withFileTypes: true })) {
      if (!service.isDirectory()) continue;
      for (const name of readdirSync(join(logDir, service.name)))
        if (name.endsWith('.log')) files.push({ id: name.slice(0, -4), file: join(logDir, service.name, name) });
    }
  }
  const wanted = instance ? files.filter((f) => f.id === instance) : files;
  const needle = filter.toLowerCase();
  const lines: string[] = [];
  for (const { id, file } of wanted) {
    const tail = await readLogTail(file, needle ? LOG_LINES * 10 : LOG_LINES);
    for (const line of tail) if (!needle || line.toLowerCase().includes(needle)) lines.push(wanted.length > 1 ? `${id} | ${line}` : line);
  }
  return { instances: files.map((f) => f.id).sort(), lines: lines.slice(-LOG_LINES) };
}
