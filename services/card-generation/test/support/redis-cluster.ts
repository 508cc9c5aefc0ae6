// A real Redis Cluster of three masters from the machine's redis-server binary, on loopback ports,
// in a temp directory: started by the test, stopped (and the directory removed) by stop().
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@cutover/service-kit/testing';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface RedisCluster {
  nodes: { host: string; port: number }[];
  /** REDIS_CLUSTER_NODES form: 127.0.0.1:7101,... */
  nodesEnv: string;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Three consecutive ports whose cluster-bus ports (port + 10000) are free too, from `base` on. */
async function findPorts(base: number): Promise<number[]> {
  for (let start = base; start < base + 300; start += 3) {
    const ports = [start, start + 1, start + 2];
    const all = [...ports, ...ports.map((p) => p + 10_000)];
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return ports;
  }
  throw new Error(`no three free ports (and bus ports) from ${base}`);
}

export async function startRedisCluster(base = 7101): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-redis-cluster-'));
  const ports = await findPorts(base);
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
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
        ],
        { stdio: 'ignore' },
      );
      child.on('error', () => undefined);
      children.push(child);
    }
    for (const port of ports) {
      await waitFor(
        `redis-server on ${port}`,
        async () => {
          const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          client.on('error', () => undefined);
          try {
            await client.connect();
            return (await client.ping()) === 'PONG' ? true : undefined;
          } finally {
            client.disconnect();
          }
        },
        20_000,
        50,
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    for (const port of ports) {
      await waitFor(
        `cluster state ok on ${port}`,
        async () => {
          const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
          return /cluster_state:ok/.test(stdout) && /cluster_slots_assigned:16384/.test(stdout) ? true : undefined;
        },
        30_000,
        100,
      );
    }
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    return { nodes, nodesEnv: nodes.map((n) => `${n.host}:${n.port}`).join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
