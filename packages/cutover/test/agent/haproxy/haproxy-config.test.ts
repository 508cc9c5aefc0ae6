import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { requireHaproxy } from '../../../src/agent/haproxy/haproxy-binary.ts';
import { EMPTY_SLOT, renderHaproxyConfig } from '../../../src/agent/haproxy/haproxy-config.ts';
import type { RouteSpec } from '../../../src/agent/proxy/proxy-types.ts';
import { haproxyMissing } from '../../helpers/haproxy-missing.ts';

const base: Omit<RouteSpec, 'service'> = { hosts: [], pathPrefix: '/', stripPrefix: false, drainTimeoutMs: 1000, websocketGraceMs: 0 };

function render(specs: RouteSpec[]) {
  return renderHaproxyConfig({
    listenHost: '127.0.0.1',
    listenPort: 8080,
    socketPath: '/run/x/runtime.sock',
    services: specs.map((spec) => ({
      spec,
      slots: [{ host: '127.0.0.1', port: 4001, state: 'ready', weight: 3 }, { ...EMPTY_SLOT }],
    })),
  });
}

describe('renderHaproxyConfig', () => {
  const specs: RouteSpec[] = [
    { ...base, service: 'web' },
    {
      ...base,
      service: 'api',
      hosts: ['API.example.com.'],
      pathPrefix: '/api/',
      stripPrefix: true,
      connectTimeoutMs: 2000,
      responseTimeoutMs: 5000,
    },
    { ...base, service: 'tenant', hosts: ['*.example.com'] },
  ];
  const text = render(specs);

  test('a runtime socket at admin level, the request log on stdout, no health checks of its own', () => {
    assert.match(text, /stats socket \/run\/x\/runtime\.sock mode 600 level admin/);
    assert.match(text, /log stdout format raw/);
    assert.match(text, /log-format "cutover %b %s %ST %Ta %tsc %HP"/);
    assert.doesNotMatch(text, /\bcheck\b|httpchk/);
    assert.match(text, /retry-on conn-failure empty-response/);
    assert.match(text, /option redispatch/);
  });

  test('routes in the Node router order: exact hosts, then wildcards, then any host; longest prefix first', () => {
    const rules = text.split('\n').filter((line) => line.includes('use_backend'));
    assert.deepEqual(rules, ['  use_backend svc_api if h0x p0', '  use_backend svc_tenant if h1w', '  use_backend svc_web']);
    assert.match(text, /acl h0x req\.hdr\(host\),field\(1,:\),lower -m str api\.example\.com\n/);
    assert.match(text, /acl p0 path -m str \/api\n {2}acl p0 path -m beg \/api\/\n/);
    assert.match(text, /acl h1w .* -m reg \^\[\^\.\]\+\\\.example\\\.com\$/);
  });

  test("a backend per service with its timeouts, prefix stripping and slots; a slot's state survives a reload", () => {
    assert.match(text, /backend svc_api\n(.*\n)*? {2}http-request replace-path \^\/api\(\?:\/\(\.\*\)\)\?\$ \/\\1\n/);
    assert.match(text, /backend svc_api\n(.*\n)*? {2}timeout connect 2000ms\n {2}timeout server 60000ms\n/);
    assert.match(text, /server s1 127\.0\.0\.1:4001 weight 3\n {2}server s2 127\.0\.0\.1:1 weight 1 disabled\n/);
    assert.doesNotMatch(text.split('\nbackend svc_web\n')[1], /replace-path/);
  });

  test('HAProxy accepts the config', { skip: haproxyMissing() }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-haproxy-cfg-'));
    try {
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, text.replace('/run/x/runtime.sock', join(dir, 'runtime.sock')));
      execFileSync(requireHaproxy().path, ['-c', '-q', '-f', file], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
