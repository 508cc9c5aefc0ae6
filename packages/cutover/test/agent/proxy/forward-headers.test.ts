import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildClientResponseHeaders,
  buildRawResponseHead,
  buildUpstreamHeaders,
  stripResponseHopByHop,
} from '../../../src/agent/proxy/forward-headers.ts';

describe('buildUpstreamHeaders', () => {
  test('strips hop-by-hop headers, appends X-Forwarded-For, sets proto and host', () => {
    const raw = [
      'Host',
      'app.test:8080',
      'Connection',
      'keep-alive, X-Secret',
      'Keep-Alive',
      'timeout=5',
      'X-Secret',
      'hop',
      'Proxy-Authorization',
      'Basic x',
      'TE',
      'trailers',
      'X-Forwarded-For',
      '10.0.0.1',
      'x-forwarded-for',
      '10.0.0.2',
      'X-Forwarded-Proto',
      'ftp',
      'X-Forwarded-Host',
      'spoofed',
      'Accept',
      'text/html',
      'Set-Cookie-Like',
      'a',
    ];
    const head = buildUpstreamHeaders(raw, '::ffff:127.0.0.1', 'https');
    assert.deepEqual(head.headers, [
      'Host',
      'app.test:8080',
      'Accept',
      'text/html',
      'Set-Cookie-Like',
      'a',
      'X-Forwarded-For',
      '10.0.0.1, 10.0.0.2, 127.0.0.1',
      'X-Forwarded-Proto',
      'https',
      'X-Forwarded-Host',
      'app.test:8080',
    ]);
    assert.equal(head.host, 'app.test:8080');
    assert.equal(head.hasBody, false);
  });

  test('detects a body; a chunked body is re-chunked; Expect is dropped', () => {
    assert.equal(buildUpstreamHeaders(['Content-Length', '0'], '1.2.3.4', 'http').hasBody, false);
    const sized = buildUpstreamHeaders(['Content-Length', '12', 'Expect', '100-continue'], '1.2.3.4', 'http');
    assert.equal(sized.hasBody, true);
    assert.deepEqual(sized.headers, ['Content-Length', '12', 'X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'http']);
    const chunked = buildUpstreamHeaders(['Transfer-Encoding', 'chunked'], '1.2.3.4', 'http');
    assert.equal(chunked.hasBody, true);
    // No framing header: the upstream client chunks a body of unknown length itself.
    assert.deepEqual(chunked.headers, ['X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'http']);
    assert.equal(chunked.host, '');
  });

  test('keeps an upgrade only when asked', () => {
    const raw = ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'];
    assert.deepEqual(buildUpstreamHeaders(raw, '1.1.1.1', 'http', true).headers, [
      'Host',
      'h',
      'Sec-WebSocket-Key',
      'k',
      'X-Forwarded-For',
      '1.1.1.1',
      'X-Forwarded-Proto',
      'http',
      'X-Forwarded-Host',
      'h',
      'Connection',
      'Upgrade',
      'Upgrade',
      'websocket',
    ]);
    assert.equal(buildUpstreamHeaders(raw, '1.1.1.1', 'http').headers.includes('Upgrade'), false);
  });

  test('a Connection header cannot remove Host or the forwarding headers', () => {
    const head = buildUpstreamHeaders(['Host', 'h', 'Connection', 'host, x-forwarded-for'], '1.1.1.1', 'http');
    assert.deepEqual(
      head.headers.filter((_, i) => i % 2 === 0),
      ['Host', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host'],
    );
  });
});

describe('buildClientResponseHeaders', () => {
  test('keeps repeated headers and spelling, drops hop-by-hop ones', () => {
    const raw = [
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'ETag',
      '"x"',
    ];
    assert.deepEqual(buildClientResponseHeaders(raw), ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'ETag', '"x"']);
    // The same from the upstream client's raw Buffers, bytes kept as latin1.
    const buffers = [...raw, 'X-Name', 'caf\u00e9'].map((text) => Buffer.from(text, 'latin1'));
    assert.deepEqual(buildClientResponseHeaders(buffers), ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'ETag', '"x"', 'X-Name', 'caf\u00e9']);
    assert.equal(raw.length, 14, 'the input list is left as it is');
  });

  test('stripResponseHopByHop removes the same headers from the list itself, keeping order', () => {
    const headers = [
      'Connection',
      'keep-alive, X-Hop',
      'Content-Type',
      'text/plain',
      'X-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'ETag',
      '"x"',
    ];
    const stripped = stripResponseHopByHop(headers);
    assert.equal(stripped, headers, 'no copy');
    assert.deepEqual(headers, ['Content-Type', 'text/plain', 'ETag', '"x"']);
    const plain = ['Content-Type', 'text/plain', 'Content-Length', '2'];
    assert.deepEqual(stripResponseHopByHop(plain), ['Content-Type', 'text/plain', 'Content-Length', '2']);
  });
});

test('buildRawResponseHead serializes a status line and headers', () => {
  assert.equal(
    buildRawResponseHead(101, 'Switching Protocols', ['Upgrade', 'websocket']),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
  );
});
