const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The partition of a conversation: FNV-1a (32 bit) of its UTF-8 bytes, modulo the partition count.
 * Every process must agree forever, so this is a fixed, documented function rather than a library's.
 */
export function partitionFor(conversationId: string, partitions: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(conversationId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash % partitions;
}
