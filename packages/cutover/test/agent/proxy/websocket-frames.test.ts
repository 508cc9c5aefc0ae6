import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closeFrame, FrameBoundary } from '../../../src/agent/proxy/websocket-frames.ts';

function frame(payloadLength: number, masked = false): Buffer {
  const header =
    payloadLength < 126
      ? [0x82, payloadLength]
      : payloadLength < 65536
        ? [0x82, 126, payloadLength >> 8, payloadLength & 0xff]
        : [
            0x82,
            127,
            0,
            0,
            0,
            0,
            (payloadLength >>> 24) & 0xff,
            (payloadLength >> 16) & 0xff,
            (payloadLength >> 8) & 0xff,
            payloadLength & 0xff,
          ];
  if (masked) header[1] |= 0x80;
  return Buffer.concat([Buffer.from(header), Buffer.alloc(masked ? 4 : 0), Buffer.alloc(payloadLength, 1)]);
}

describe('FrameBoundary', () => {
  test('finds frame ends across the three length forms, masked or not', () => {
    for (const [length, masked] of [
      [0, false],
      [5, false],
      [125, true],
      [126, false],
      [300, true],
      [70_000, false],
    ] as const) {
      const bytes = frame(length, masked);
      const boundary = new FrameBoundary();
      assert.equal(boundary.push(bytes), bytes.length, `length ${length}`);
      assert.equal(boundary.atBoundary, true);
    }
  });

  test('a frame split anywhere, header included, ends where it should', () => {
    const bytes = Buffer.concat([frame(3), frame(300), frame(2)]);
    const ends = [5, 5 + 304, bytes.length];
    for (let cut = 1; cut < bytes.length; cut++) {
      const boundary = new FrameBoundary();
      const first = boundary.push(bytes.subarray(0, cut));
      const second = boundary.push(bytes.subarray(cut));
      assert.equal(first, [...ends].reverse().find((end) => end <= cut) ?? -1, `cut at ${cut}`);
      assert.equal(second, bytes.length - cut, `cut at ${cut}`);
      assert.equal(boundary.atBoundary, true);
      if (!ends.includes(cut)) {
        const mid = new FrameBoundary();
        mid.push(bytes.subarray(0, cut));
        assert.equal(mid.atBoundary, false, `cut at ${cut} is inside a frame`);
      }
    }
  });

  test('closeFrame carries the code and the reason', () => {
    const close = closeFrame(1012, 'bye');
    assert.deepEqual([...close], [0x88, 5, 0x03, 0xf4, 0x62, 0x79, 0x65]);
  });
});
