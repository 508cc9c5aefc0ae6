import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateStatus, buildHealthResponse, type CheckReading, httpStatusFor } from '../../src/index.ts';

const now = new Date('2025-01-02T03:04:05.000Z');
const reading = (over: Partial<CheckReading>): CheckReading => ({
  name: 'postgres',
  componentType: 'datastore',
  critical: true,
  status: 'pass',
  latencyMs: 2.5,
  time: '2025-01-02T03:04:04.900Z',
  ...over,
});

describe('buildHealthResponse', () => {
  test('readiness with passing dependencies: exact document, 200', () => {
    const response = buildHealthResponse({
      kind: 'ready',
      serviceId: 'payments',
      version: '1',
      releaseId: 'r42',
      lifecycle: 'ready',
      hasStarted: true,
      readings: [reading({})],
      uptimeSeconds: 12.3456,
      now,
    });
    assert.deepEqual(response, {
      statusCode: 200,
      body: {
        status: 'pass',
        version: '1',
        releaseId: 'r42',
        serviceId: 'payments',
        description: 'payments readiness',
        checks: {
          uptime: [{ componentType: 'system', observedValue: 12.346, observedUnit: 's', status: 'pass', time: '2025-01-02T03:04:05.000Z' }],
          'service:lifecycle': [{ componentType: 'system', observedValue: 'ready', status: 'pass', time: '2025-01-02T03:04:05.000Z' }],
          'postgres:responseTime': [
            { componentType: 'datastore', observedValue: 2.5, observedUnit: 'ms', status: 'pass', time: '2025-01-02T03:04:04.900Z' },
          ],
        },
      },
    });
  });

  test('a failing critical check fails readiness with 503 and names it in output', () => {
    const response = buildHealthResponse({
      kind: 'ready',
      serviceId: 'auth',
      lifecycle: 'ready',
      hasStarted: true,
      readings: [reading({ status: 'fail', output: 'timed out after 800 ms', latencyMs: 801 }), reading({ name: 'redis' })],
      uptimeSeconds: 1,
      now,
    });
    assert.equal(response.statusCode, 503);
    assert.equal(response.body.status, 'fail');
    assert.equal(response.body.output, 'postgres: timed out after 800 ms');
    assert.equal(response.body.checks['postgres:responseTime'][0].output, 'timed out after 800 ms');
    assert.equal(response.body.checks['redis:responseTime'][0].status, 'pass');
  });

  test('a failing non-critical check only warns (200)', () => {
    const readings = [reading({}), reading({ name: 'cache', status: 'fail', critical: false, output: 'down' })];
    assert.equal(aggregateStatus(readings), 'warn');
    const response = buildHealthResponse({
      kind: 'ready',
      serviceId: 's',
      lifecycle: 'ready',
      hasStarted: true,
      readings,
      uptimeSeconds: 1,
      now,
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body.status, 'warn');
    assert.equal(response.body.output, 'cache: down');
  });

  test('draining fails readiness without listing dependencies; liveness still passes', () => {
    const ready = buildHealthResponse({
      kind: 'ready',
      serviceId: 's',
      lifecycle: 'draining',
      hasStarted: true,
      readings: [],
      uptimeSeconds: 1,
      now,
    });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.body.output, 'service is shutting down');
    assert.deepEqual(Object.keys(ready.body.checks), ['uptime', 'service:lifecycle']);
    const live = buildHealthResponse({
      kind: 'live',
      serviceId: 's',
      lifecycle: 'draining',
      hasStarted: true,
      readings: [],
      uptimeSeconds: 1,
      now,
    });
    assert.equal(live.statusCode, 200);
    assert.equal(live.body.description, 's liveness');
    assert.deepEqual(Object.keys(live.body.checks), ['uptime']);
  });

  test('startup fails until the service was ready once', () => {
    const starting = buildHealthResponse({
      kind: 'startup',
      serviceId: 's',
      lifecycle: 'starting',
      hasStarted: false,
      readings: [],
      uptimeSeconds: 0,
      now,
    });
    assert.equal(starting.statusCode, 503);
    assert.equal(starting.body.output, 'service is starting');
    const started = buildHealthResponse({
      kind: 'startup',
      serviceId: 's',
      lifecycle: 'draining',
      hasStarted: true,
      readings: [],
      uptimeSeconds: 0,
      now,
    });
    assert.equal(started.statusCode, 200);
  });

  test('status to HTTP code mapping', () => {
    assert.equal(httpStatusFor('pass'), 200);
    assert.equal(httpStatusFor('warn'), 200);
    assert.equal(httpStatusFor('fail'), 503);
  });
});
