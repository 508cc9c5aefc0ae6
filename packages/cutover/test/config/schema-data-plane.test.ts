import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from '../../src/agent/agent.ts';
import { type ConfigProblem, parseConfigText } from '../../src/config/load-config.ts';
import { CutoverError, isCutoverError } from '../../src/errors/cutover-error.ts';

const BASE = 'service: shop\nprocesses:\n  web: { command: node server.js, portEnv: PORT }\n';

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, '/srv/shop/cutover.yml');
  } catch (error) {
    assert.ok(error instanceof CutoverError);
    return (error.details.problems as ConfigProblem[]).map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the config to be rejected');
}

test('proxy.dataPlane is node by default and takes haproxy', () => {
  assert.equal(parseConfigText(BASE, '/srv/shop/cutover.yml').config.proxy.dataPlane, 'node');
  assert.equal(parseConfigText(`${BASE}proxy: { dataPlane: haproxy }\n`, '/srv/shop/cutover.yml').config.proxy.dataPlane, 'haproxy');
  assert.equal(problemsOf(`${BASE}proxy: { dataPlane: envoy }\n`).length, 1);
});

test('HAProxy mode refuses what it cannot honour: sticky release, forced release header, agent TLS', () => {
  const problems = problemsOf(
    `${BASE}proxy: { dataPlane: haproxy, sticky: { cookie: rel }, forceReleaseHeader: x-release }\nagent: { httpsPort: 8443, tls: { certFile: c.pem, keyFile: k.pem } }\n`,
  );
  assert.deepEqual(
    problems.map((p) => p.split(':')[0]),
    ['proxy.sticky', 'proxy.forceReleaseHeader', 'agent.httpsPort'],
  );
  assert.match(problems[0], /not available with proxy\.dataPlane: haproxy/);
  // The same settings are fine with the Node proxy.
  parseConfigText(`${BASE}proxy: { sticky: { cookie: rel }, forceReleaseHeader: x-release }\n`, '/srv/shop/cutover.yml');
});

test('a missing or too old haproxy is a clear error before the agent creates anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-dataplane-'));
  try {
    const options = { httpPort: 0, portRange: [41000, 41001] as [number, number], logMaxBytes: 4096, logKeepFiles: 1 };
    const missing = join(dir, 'missing');
    assert.throws(
      () => new Agent({ ...options, dataDir: join(dir, 'a'), dataPlane: 'haproxy', haproxyBinary: join(dir, 'no-haproxy') }),
      (error) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_HAPROXY_MISSING',
    );
    const old = join(dir, 'old-haproxy');
    writeFileSync(old, '#!/bin/sh\necho "HA-Proxy version 1.8.19 2019/02/11"\n');
    chmodSync(old, 0o755);
    assert.throws(
      () => new Agent({ ...options, dataDir: join(dir, 'b'), dataPlane: 'haproxy', haproxyBinary: old }),
      (error) => isCutoverError(error) && error.code === 'CUT_ERR_AGENT_HAPROXY_TOO_OLD' && /1\.8\.19/.test(error.message),
    );
    assert.equal(existsSync(join(dir, 'a')) || existsSync(join(dir, 'b')) || existsSync(missing), false, 'no data directory made');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
