// A real Redis Cluster of three masters from the machine's redis-server binary, on loopback ports
// of a block this process claimed (reservePortRange), in a temp directory. stop() kills every
// process it started and removes the directory; so does a failed start, and so does this process's
// exit if a test never got to stop().
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { reservePortRange } from './ports.ts';
import { waitFor } from './wait-for.ts';

const run = promisify(execFile);

export interface RedisCluster {
  /** The masters' client ports, on 127.0.0.1. */
  nodes: { host: string; port: number }[];
  /** REDIS_CLUSTER_NODES form: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  nodesEnv: string;
  /** The master serving each slot range, from CLUSTER SLOTS: `[first, last, port]`. */
  slotRanges: [number, number, number][];
  /** The redis-server processes' pids (for CPU accounting). */
  pids: number[];
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Masters (no replicas); default 3, the least a cluster can be created with. */
  masters?: number;
  /** Longest wait for the servers and the cluster state; default 30000. */
  timeoutMs?: number;
}

function serverArgs(dir: string, port: number, busPort: number): string[] {
  return [
    '--port',
    String(port),
    '--cluster-port',
    String(busPort),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '5000',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dbfilename',
    `dump-${port}.rdb`,
  ];
}

async function pingable(port: number): Promise<true | undefined> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG' ? true : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * Starts `masters` redis-server processes in cluster mode (client and bus ports both from this
 * process's port block: `--cluster-port`, Redis 7), joins them with `redis-cli --cluster create`
 * and waits until every node reports `cluster_state:ok` with all 16384 slots assigned.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const [first] = await reservePortRange(masters * 2);
  const ports = Array.from({ length: masters }, (_, i) => first + i);
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      process.removeListener('exit', killAll);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    for (const [i, port] of ports.entries()) {
      const child = spawn('redis-server', serverArgs(dir, port, first + masters + i), { stdio: 'ignore' });
      child.on('error', () => undefined); // no redis-server: the wait below fails with its name
      children.push(child);
    }
    for (const port of ports) await waitFor(`redis-server on ${port}`, () => pingable(port), timeoutMs, 50);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: timeoutMs,
    });
    for (const port of ports) {
      await waitFor(
        `cluster state ok on ${port}`,
        async () => {
          const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
          return /cluster_state:ok/.test(stdout) && /cluster_slots_assigned:16384/.test(stdout) ? true : undefined;
        },
        timeoutMs,
        100,
      );
    }
    const slotRanges = await readSlotRanges(ports[0] as number);
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    const pids = children.map((child) => child.pid ?? 0);
    return { nodes, nodesEnv: nodes.map((n) => `${n.host}:${n.port}`).join(','), slotRanges, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function readSlotRanges(port: number): Promise<[number, number, number][]> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    const reply = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
    return reply.map(([from, to, master]) => [from, to, Number(master[1])] as [number, number, number]).sort((a, b) => a[0] - b[0]);
  } finally {
    client.disconnect();
  }
}
