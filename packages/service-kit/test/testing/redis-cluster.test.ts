// startRedisCluster against the machine's redis-server: a working cluster, and every server it
// started gone after stop() and after a start that failed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { startRedisCluster } from '../../src/testing/redis-cluster.ts';

/** Pids of this process's children still running redis-server (from /proc: parent pid and command name). */
function redisChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.startsWith('redis-server')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('startRedisCluster', () => {
  test('three masters serve all 16384 slots, and stop() ends every server it started', async () => {
    const cluster = await startRedisCluster();
    try {
      assert.equal(cluster.nodes.length, 3);
      assert.equal(new Set(cluster.slotRanges.map(([, , port]) => port)).size, 3);
      assert.equal(
        cluster.slotRanges.reduce((sum, [from, to]) => sum + to - from + 1, 0),
        16_384,
      );
      assert.deepEqual(redisChildren().sort(), [...cluster.pids].sort());
      const client = new Cluster(cluster.nodes);
      try {
        await client.set('{t}:a', '1');
        assert.equal(await client.get('{t}:a'), '1');
      } finally {
        client.disconnect();
      }
    } finally {
      await cluster.stop();
    }
    assert.deepEqual(redisChildren(), []);
  });

  test('a start that fails (two masters: redis-cli refuses to create the cluster) leaves no server running', async () => {
    await assert.rejects(startRedisCluster({ masters: 2 }));
    assert.deepEqual(redisChildren(), []);
  });
});
