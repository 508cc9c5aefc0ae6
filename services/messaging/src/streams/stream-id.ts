/** A stream entry id `<ms>-<seq>` as two bigints (ids overflow doubles only in theory, but compare exactly). */
function parts(id: string): [bigint, bigint] {
  const [ms, seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

/** Negative, zero or positive like a comparator. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

/** The wall-clock time (ms) Redis put in an auto-generated id. */
export function streamIdTimeMs(id: string): number {
  return Number(id.split('-')[0]);
}
