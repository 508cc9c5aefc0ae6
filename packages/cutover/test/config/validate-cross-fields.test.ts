import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { peakInstancePorts, validateCrossFields } from '../../src/config/validate-cross-fields.ts';

const parse = (extra: Record<string, unknown>) =>
  configSchema.parse({
    service: 'shop',
    processes: { web: { command: 'x', instances: 3 }, worker: { command: 'y', portEnv: null } },
    ...extra,
  });

test('the port peak: the running release plus a rolling batch, or twice for blue-green; workers without a port count nothing', () => {
  assert.deepEqual(peakInstancePorts(parse({ rollout: { strategy: 'rolling', batchSize: 2 } })), {
    peak: 5,
    steady: 3,
    surge: 'plus 2 new during a rolling batch of 2',
  });
  assert.equal(peakInstancePorts(parse({ rollout: { strategy: 'blueGreen' } })).peak, 6);
});

test('a valid config has no cross-field problem', () => {
  assert.deepEqual(validateCrossFields(parse({})), []);
});

test('each rule names both keys', () => {
  const problems = validateCrossFields(
    parse({
      agent: { httpPort: 9000, metricsPort: 9000, portRange: [21000, 21004] },
      rollout: { strategy: 'canary', steps: [{ setWeight: 40 }, { setWeight: 10 }] },
      proxy: { stripPrefix: true, hosts: ['http://shop.example.com:8080/x'] },
    }),
  );
  assert.deepEqual(
    problems.map((p) => [p.path.join('.'), p.otherPath?.join('.')]),
    [
      ['agent.metricsPort', 'agent.httpPort'],
      ['agent.portRange', 'processes.web.instances'],
      ['rollout.steps.1.setWeight', 'rollout.steps.0.setWeight'],
      ['proxy.stripPrefix', 'proxy.pathPrefix'],
      ['proxy.hosts.0', undefined],
    ],
  );
  assert.equal(
    problems[4].message,
    '"http://shop.example.com:8080/x" is a URL, not a host name: write shop.example.com (a port goes in agent.httpPort, a path in proxy.pathPrefix)',
  );
});
