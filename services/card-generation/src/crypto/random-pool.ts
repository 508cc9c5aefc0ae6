// Random bytes for small requests, cut from 64 KiB drawn from node:crypto's CSPRNG at a time: a
// synchronous card needs 34 random bytes, and one randomBytes call costs far more than drawing
// them. Every slice is handed out once (a spent pool is replaced, never refilled in place), so
// slices never share bytes; large requests go to randomBytes directly.
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 64 * 1024;
let pool = Buffer.alloc(0);
let next = 0;

/** `size` fresh random bytes (a view into the current pool for small sizes). */
export function randomSlice(size: number): Buffer {
  if (size > POOL_BYTES / 8) return randomBytes(size);
  if (next + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    next = 0;
  }
  const slice = pool.subarray(next, next + size);
  next += size;
  return slice;
}
