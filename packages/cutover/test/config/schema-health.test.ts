import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveHealthCheck } from '../../src/agent/health/resolve-health-check.ts';
import {
  DEFAULT_HEALTH_START_INTERVAL_MS,
  DEFAULT_NETWORK_HEALTH_START_INTERVAL_MS,
  defaultStartIntervalMs,
} from '../../src/config/defaults.ts';
import { parseConfigText } from '../../src/config/load-config.ts';

const FILE = '/srv/shop/cutover.yml';

function healthOf(health: string, type = 'web') {
  const portEnv = type === 'web' ? 'PORT' : 'null';
  const text = `service: shop\nprocesses:\n  ${type}: { command: node server.js, portEnv: ${portEnv}, health: ${health} }\n`;
  const parsed = parseConfigText(text, FILE).config.processes[type].health;
  assert.ok(parsed);
  return parsed;
}

test('startIntervalMs is optional: 10 ms for http and tcp checks, 50 ms for command and process checks', () => {
  assert.equal(DEFAULT_NETWORK_HEALTH_START_INTERVAL_MS, 10);
  assert.equal(DEFAULT_HEALTH_START_INTERVAL_MS, 50);
  assert.equal(healthOf('{ type: http, path: /up }').startIntervalMs, 10);
  assert.equal(healthOf('{ type: tcp }').startIntervalMs, 10);
  assert.equal(healthOf('{ type: command, command: ./check.sh }').startIntervalMs, 50);
  assert.equal(healthOf('{ type: process }', 'worker').startIntervalMs, 50);
});

test('a startIntervalMs that is set wins over the default of its type, in ms or as a duration', () => {
  assert.equal(healthOf('{ type: http, path: /up, startIntervalMs: 100ms }').startIntervalMs, 100);
  assert.equal(healthOf('{ type: tcp, startIntervalMs: 250 }').startIntervalMs, 250);
  assert.equal(healthOf('{ type: command, command: ./check.sh, startIntervalMs: 5ms }').startIntervalMs, 5);
});

test('the other timing keys keep their defaults whatever the type', () => {
  const http = healthOf('{ type: http, path: /up }');
  assert.equal(http.intervalMs, 1000);
  assert.equal(http.timeoutMs, 2000);
  assert.equal(http.startTimeoutMs, 60_000);
  assert.equal(http.healthyThreshold, 1);
  assert.equal(http.unhealthyThreshold, 3);
});

test('the check used without a health section takes the default interval of its type', () => {
  assert.equal(resolveHealthCheck(undefined, true).startIntervalMs, defaultStartIntervalMs('tcp'));
  assert.equal(resolveHealthCheck(undefined, true).type, 'tcp');
  assert.equal(resolveHealthCheck(undefined, false).startIntervalMs, defaultStartIntervalMs('process'));
});
