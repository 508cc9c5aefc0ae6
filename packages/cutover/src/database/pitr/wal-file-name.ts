/**
 * WAL segment names (pure). A segment is named by its timeline and number, 8 hex digits each for
 * the timeline, the high 32 bits of the segment number's position ("log") and the segment within
 * that log: 000000010000000000000003. An LSN "X/Y" is the 64-bit position (X << 32) + Y.
 */

const SEGMENT_NAME = /^[0-9A-F]{24}$/;

export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** The segment that holds `lsn` on `timeline`, for segments of `segmentBytes` (16 MiB by default). */
export function walFileName(timeline: number, lsn: string, segmentBytes: number): string {
  const size = BigInt(segmentBytes);
  const segno = parseLsn(lsn) / size;
  const perLog = 0x1_0000_0000n / size;
  const hex = (value: bigint | number) => value.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segno / perLog)}${hex(segno % perLog)}`;
}

/** A WAL segment (possibly `.partial`), as opposed to `.history` and `.backup` files. */
export function isWalSegment(file: string): boolean {
  return SEGMENT_NAME.test(file.replace(/\.partial$/, ''));
}

/**
 * Whether a segment lies before `oldest` whatever its timeline (pg_archivecleanup's rule): only the
 * position (the last 16 hex digits) counts. History and backup-label files are never "before".
 */
export function segmentBefore(file: string, oldest: string): boolean {
  if (!isWalSegment(file)) return false;
  return file.slice(8, 24) < oldest.slice(8, 24);
}
