import assert from 'node:assert/strict';
import { maxHeaderSize } from 'node:http';
import { describe, test } from 'node:test';
import { HEADERS_OVERFLOW, INVALID_RESPONSE, ResponseParser } from '../../../src/agent/proxy/response-parser.ts';

interface Parsed {
  status: number;
  message: string;
  headers: string[];
  body: string;
  complete: boolean;
}

/** Feeds `pieces` one after the other to a parser expecting one response to `method`. */
function parse(pieces: Buffer[], method = 'GET'): Parsed & { keepAlive: boolean; hintMs: number; leftover: number } {
  const result: Parsed = { status: 0, message: '', headers: [], body: '', complete: false };
  const parser = new ResponseParser({
    onHead(status, message, headers) {
      assert.equal(result.status, 0, 'one final head per response');
      Object.assign(result, { status, message, headers });
    },
    onBody(chunk) {
      assert.ok(chunk.length > 0, 'no empty body chunks');
      result.body += chunk.toString('latin1');
    },
    onComplete() {
      result.complete = true;
    },
  });
  parser.expect(method);
  let leftover = 0;
  for (const piece of pieces) {
    const used = parser.execute(piece);
    leftover += piece.length - used;
  }
  assert.equal(parser.complete, result.complete);
  return { ...result, keepAlive: parser.keepAlive, hintMs: parser.keepAliveHintMs, leftover };
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n' +
  '5;name=value;other\r\nhello\r\n1\r\n \r\nA \t; ext="quoted"\r\n0123456789\r\n0;last\r\nTrailer-One: x\r\nTrailer-Two: y\r\n\r\n';

const RESPONSES: Record<string, { raw: string; method?: string; expect: Partial<Parsed> }> = {
  'content-length': {
    raw: 'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Multi: a\r\nX-Multi: b\r\n\r\nhello',
    expect: { status: 201, message: 'Created', headers: ['Content-Length', '5', 'X-Multi', 'a', 'X-Multi', 'b'], body: 'hello' },
  },
  'chunked with extensions and trailers': {
    raw: CHUNKED,
    expect: { status: 200, body: 'hello 0123456789', headers: ['Transfer-Encoding', 'chunked', 'X-A', '1'] },
  },
  'interim 100 and 103 before the answer': {
    raw: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    expect: { status: 200, body: 'ok', headers: ['Content-Length', '2'] },
  },
  'HEAD answer with a Content-Length and no body': {
    raw: 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n',
    method: 'HEAD',
    expect: { status: 200, body: '' },
  },
  '204 without body': { raw: 'HTTP/1.1 204 No Content\r\n\r\n', expect: { status: 204, body: '' } },
  '304 with a Content-Length and no body': {
    raw: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n',
    expect: { status: 304, body: '' },
  },
  'status line without reason, header without space': {
    raw: 'HTTP/1.1 404\r\nx-y:z  \r\nContent-Length: 0\r\n\r\n',
    expect: { status: 404, message: '', headers: ['x-y', 'z', 'Content-Length', '0'], body: '' },
  },
  'HTTP/1.0, empty reason, values with whitespace around them': {
    raw: 'HTTP/1.0 200 \r\nA: \t two  words \r\nB:\r\nC: \r\nD: x\xa0\r\nE: y\r\nContent-Length: 1\r\n\r\n!',
    expect: {
      status: 200,
      message: '',
      headers: ['A', 'two  words', 'B', '', 'C', '', 'D', 'x', 'E', 'y', 'Content-Length', '1'],
      body: '!',
    },
  },
  'reason phrase with spaces': {
    raw: 'HTTP/1.1 503 Service Unavailable Now\r\nContent-Length: 0\r\n\r\n',
    expect: { status: 503, message: 'Service Unavailable Now', body: '' },
  },
};

describe('ResponseParser', () => {
  test('parses each framing in one read', () => {
    for (const [name, { raw, method, expect }] of Object.entries(RESPONSES)) {
      const parsed = parse([Buffer.from(raw, 'latin1')], method);
      assert.equal(parsed.complete, true, name);
      for (const [key, value] of Object.entries(expect)) assert.deepEqual(parsed[key as keyof Parsed], value, `${name}: ${key}`);
      assert.equal(parsed.leftover, 0, name);
    }
  });

  test('the same result whatever the split: at every byte boundary, and byte by byte', () => {
    for (const [name, { raw, method }] of Object.entries(RESPONSES)) {
      const whole = Buffer.from(raw, 'latin1');
      const reference = parse([whole], method);
      for (let cut = 1; cut < whole.length; cut++) {
        const parsed = parse([whole.subarray(0, cut), whole.subarray(cut)], method);
        assert.deepEqual(parsed, reference, `${name} cut at ${cut}`);
      }
      const bytes = [...whole].map((byte) => Buffer.from([byte]));
      assert.deepEqual(parse(bytes, method), reference, `${name} byte by byte`);
    }
  });

  test('pipelined responses: execute stops at the end of each, the next parses from there', () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none';
    const data = Buffer.from(first + CHUNKED + 'HTTP/1.1 204 No Content\r\n\r\n', 'latin1');
    const statuses: number[] = [];
    const bodies: string[] = [];
    const parser = new ResponseParser({
      onHead: (status) => {
        statuses.push(status);
        bodies.push('');
      },
      onBody: (chunk) => {
        bodies[bodies.length - 1] += chunk.toString('latin1');
      },
      onComplete: () => {},
    });
    let offset = 0;
    const ends: number[] = [];
    while (offset < data.length) {
      parser.expect('GET');
      offset += parser.execute(data.subarray(offset));
      assert.equal(parser.complete, true);
      ends.push(offset);
    }
    assert.deepEqual(statuses, [200, 200, 204]);
    assert.deepEqual(bodies, ['one', 'hello 0123456789', '']);
    assert.deepEqual(ends, [first.length, first.length + CHUNKED.length, data.length]);
  });

  test('the last piece of a body is marked as such when the body ends in the same read', () => {
    const lasts = (pieces: string[]): string[] => {
      const seen: string[] = [];
      const parser = new ResponseParser({
        onHead() {},
        onBody: (chunk, last) => seen.push(`${chunk.toString('latin1')}${last ? '!' : ''}`),
        onComplete: () => seen.push('end'),
      });
      parser.expect('GET');
      for (const piece of pieces) parser.execute(Buffer.from(piece, 'latin1'));
      return seen;
    };
    const length = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n';
    assert.deepEqual(lasts([`${length}abcd`]), ['abcd!', 'end']);
    assert.deepEqual(lasts([`${length}ab`, 'cd']), ['ab', 'cd!', 'end']);
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    assert.deepEqual(lasts([`${chunked}2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n`]), ['ab', 'cd!', 'end']);
    assert.deepEqual(lasts([`${chunked}2\r\nab\r\n`, '2\r\ncd\r\n0\r\n', '\r\n']), ['ab', 'cd', 'end']);
    assert.deepEqual(lasts([`${chunked}4\r\nab`, 'cd\r\n0\r\nX-Trailer: 1\r\n\r\n']), ['ab', 'cd!', 'end']);
  });

  test('bytes after a complete response are left to the caller', () => {
    const parsed = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA')]);
    assert.equal(parsed.body, 'ok');
    assert.equal(parsed.leftover, 5);
  });

  test('a body without framing runs until the connection ends; a framed one cut short is incomplete', () => {
    const sink = { body: '', onHead() {}, onBody: (c: Buffer) => (sink.body += c.toString()), onComplete() {} };
    const parser = new ResponseParser(sink);
    parser.expect('GET');
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nuntil'));
    parser.execute(Buffer.from(' close'));
    assert.equal(parser.readsUntilClose, true);
    assert.equal(parser.keepAlive, false);
    assert.equal(parser.finish(), true);
    assert.equal(sink.body, 'until close');

    parser.expect('GET');
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'));
    assert.equal(parser.finish(), false);
    parser.expect('GET');
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'));
    assert.equal(parser.finish(), false);
    parser.expect('GET');
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-'));
    assert.equal(parser.finish(), false);
  });

  test('keep-alive: Connection close, HTTP/1.0, the Keep-Alive hint, a coding other than chunked', () => {
    const head = (text: string) => parse([Buffer.from(`${text}\r\n\r\n`, 'latin1')]);
    assert.equal(head('HTTP/1.1 200 OK\r\nContent-Length: 0').keepAlive, true);
    assert.equal(head('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0').keepAlive, false);
    assert.equal(head('HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0').keepAlive, false);
    assert.equal(head('HTTP/1.0 200 OK\r\nContent-Length: 0').keepAlive, false);
    assert.equal(head('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0').keepAlive, true);
    assert.equal(head('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0').hintMs, 5000);
    assert.equal(head('HTTP/1.1 200 OK\r\nContent-Length: 0').hintMs, -1);
    const gzipOnly = parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw')]);
    assert.equal(gzipOnly.body, 'raw');
    assert.equal(gzipOnly.keepAlive, false);
  });

  test('malformed responses are refused with a code', () => {
    const bad = [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'HTTP/1.1 099 Odd\r\n\r\n',
      'HTTP/1.2 200 OK\r\n\r\n',
      'HTTP/1.1  200 OK\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/1.1 200OK\r\n\r\n',
      'HTTP/1.1 200 O\rK\r\n\r\n',
      'http/1.1 200 OK\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon\r\n\r\n',
      'HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\n folded: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\n',
    ];
    for (const raw of bad) {
      assert.throws(
        () => parse([Buffer.from(raw, 'latin1')]),
        (error: NodeJS.ErrnoException) => error.code === INVALID_RESPONSE,
        raw,
      );
    }
  });

  test('an oversized head is refused, in one read or accumulated over many', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(maxHeaderSize)}\r\n\r\n`;
    const overflow = (error: NodeJS.ErrnoException) => error.code === HEADERS_OVERFLOW;
    assert.throws(() => parse([Buffer.from(big)]), overflow);
    const pieces: Buffer[] = [];
    for (let i = 0; i < big.length; i += 1000) pieces.push(Buffer.from(big.slice(i, i + 1000)));
    assert.throws(() => parse(pieces), overflow);
    const endless = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ${'t'.repeat(maxHeaderSize)}`;
    assert.throws(() => parse([Buffer.from(endless)]), overflow);
    // Just below the limit passes.
    const fits = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(maxHeaderSize - 100)}\r\nContent-Length: 0\r\n\r\n`;
    assert.equal(parse([Buffer.from(fits)]).complete, true);
  });
});
