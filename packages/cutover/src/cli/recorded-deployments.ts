import { existsSync } from 'node:fs';
import { agentPaths } from '../agent/agent-paths.ts';
import { findInterrupted } from '../controller/deployment-state.ts';
import { type DeploymentRecord, DeploymentStore } from '../store/deployment-store.ts';

/**
 * Opens the deployment records for a read-only verb: nothing is created (no data directory, no
 * database) when there are none, and deployments whose process died read as interrupted without
 * that being written (the next deploy writes it).
 */
export function withRecords<T>(dataDir: string, read: (records: RecordReader) => T): T {
  const file = agentPaths(dataDir).deploymentsDb;
  if (!existsSync(file)) return read(EMPTY_READER);
  const store = new DeploymentStore(file);
  try {
    return read(readerOf(store));
  } finally {
    store.close();
  }
}

export interface RecordReader {
  store: DeploymentStore | undefined;
  deployments(service: string, limit: number): DeploymentRecord[];
  deployment(id: number): DeploymentRecord | undefined;
  lastGoodRelease(service: string, except?: string): string | null;
}

const EMPTY_READER: RecordReader = {
  store: undefined,
  deployments: () => [],
  deployment: () => undefined,
  lastGoodRelease: () => null,
};

function readerOf(store: DeploymentStore): RecordReader {
  const interrupted = new Map<string, Map<number, string>>();
  const view = (record: DeploymentRecord): DeploymentRecord => {
    let found = interrupted.get(record.service);
    if (!found) {
      found = findInterrupted(store, record.service);
      interrupted.set(record.service, found);
    }
    const reason = found.get(record.id);
    return reason === undefined ? record : { ...record, state: 'interrupted', reason };
  };
  return {
    store,
    deployments: (service, limit) => store.deployments(service, limit).map(view),
    deployment: (id) => {
      const record = store.deployment(id);
      return record ? view(record) : undefined;
    },
    lastGoodRelease: (service, except) => store.lastGoodRelease(service, except),
  };
}
