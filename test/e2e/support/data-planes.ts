// The two data planes an e2e scenario runs against (proxy.dataPlane), and what a test reads from HAProxy itself.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { backendName } from '../../../packages/cutover/src/agent/haproxy/haproxy-names.ts';
import { runtimeExchange } from '../../../packages/cutover/src/agent/haproxy/haproxy-runtime.ts';
import { haproxyMissing } from '../../../packages/cutover/test/helpers/haproxy-missing.ts';
import type { LoadResult } from './load-generator.ts';
import type { DeploymentJson } from './rollout-helpers.ts';
import type { Sandbox } from './sandbox.ts';

export type DataPlaneName = 'node' | 'haproxy';

/** Each data plane with its skip reason: the built-in Node proxy always runs, HAProxy when it is installed. */
export function dataPlanes(): { dataPlane: DataPlaneName; skip: string | false }[] {
  return [
    { dataPlane: 'node', skip: false },
    { dataPlane: 'haproxy', skip: haproxyMissing() },
  ];
}

export interface HaproxyServer {
  name: string;
  /** 2 running, 0 stopped (in maintenance) (srv_op_state). */
  opState: number;
  /** Flags (srv_admin_state): 1 forced maintenance, 4 maintenance from the config (a slot declared `disabled`), 8 forced drain. */
  adminState: number;
  /** The weight the runtime API set (srv_uweight). */
  weight: number;
  port: number;
}

/** `show servers state <backend>` of the service's backend, from the agent's HAProxy. */
export async function haproxyServers(box: Sandbox, service: string): Promise<HaproxyServer[]> {
  const socket = join(box.dir, '.cutover', 'haproxy', 'runtime.sock');
  const text = await runtimeExchange(socket, [`show servers state ${backendName(service)}`]);
  const lines = text.split('\n');
  const header = lines.find((line) => line.startsWith('# '));
  if (header === undefined) throw new Error(`no header in show servers state: ${text}`);
  const columns = header.slice(2).split(' ');
  const at = (name: string) => columns.indexOf(name);
  return lines
    .filter((line) => line !== '' && !line.startsWith('#') && line.includes(' '))
    .map((line) => line.split(' '))
    .map((fields) => ({
      name: fields[at('srv_name')],
      opState: Number(fields[at('srv_op_state')]),
      adminState: Number(fields[at('srv_admin_state')]),
      weight: Number(fields[at('srv_uweight')]),
      port: Number(fields[at('srv_port')]),
    }));
}

const DRAIN_FLAGS = 0x08 | 0x10;

/** Weights of the running servers out of drain that may take requests, sorted: what HAProxy splits new requests by. */
export async function readyWeights(box: Sandbox, service: string): Promise<number[]> {
  return (await haproxyServers(box, service))
    .filter((server) => server.opState === 2 && (server.adminState & DRAIN_FLAGS) === 0 && server.weight > 0)
    .map((server) => server.weight)
    .sort((a, b) => a - b);
}

/**
 * Share (0-1) of the successful requests started in [fromMs, toMs] (epoch ms) that `release`
 * answered, and how many requests that is; a margin at both ends leaves out requests sent while
 * the proxy changed its weights.
 */
export function shareOf(
  load: LoadResult,
  release: string,
  fromMs: number,
  toMs: number,
  marginMs = 300,
): { share: number; requests: number } {
  const inWindow = load.answered.filter((a) => a.sentAtMs >= fromMs + marginMs && a.sentAtMs <= toMs - marginMs);
  const hits = inWindow.filter((a) => a.release === release).length;
  return { share: inWindow.length === 0 ? Number.NaN : hits / inWindow.length, requests: inWindow.length };
}

/** What must not depend on the data plane in a deployment record: its steps and outcomes, the weights it set, the verdicts. */
export function recordShape(record: DeploymentJson): unknown {
  return {
    state: record.state,
    rolledBackTo: record.rolledBackTo,
    steps: record.steps.map((step) => [step.name, step.outcome]),
    weights: record.events.filter((e) => e.type === 'weights:set').map((e) => e.data.weights),
    verdicts: record.events.filter((e) => e.type === 'analysis:verdict').map((e) => [e.data.analysis, e.data.verdict]),
    switched: record.events.filter((e) => e.type === 'rollout:switched').length,
  };
}

const shapes = new Map<string, unknown>();

/**
 * The Node proxy's run of a scenario keeps its record's shape under `key`; HAProxy's run of the
 * same scenario (later in the same file) must have the same one. Without a Node run (a filtered
 * test run), HAProxy's record is checked by the scenario's own assertions only.
 */
export function assertSameRecordAsNode(key: string, dataPlane: DataPlaneName, record: DeploymentJson): void {
  const shape = recordShape(record);
  if (dataPlane === 'node') shapes.set(key, shape);
  else if (shapes.has(key)) assert.deepEqual(shape, shapes.get(key), `${key}: the record differs from the Node proxy's`);
}
