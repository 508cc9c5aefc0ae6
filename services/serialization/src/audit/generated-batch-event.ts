/**
 * The audit event of one batch of generated serials: `after.serials` lists each serial (id,
 * serialNumber, sequence) in sequence order. One event per batch rather than per serial: an event
 * row (its partition, eight indexes and the hash chain) cost about as much PostgreSQL CPU as the
 * serial's other rows together (bench/serialization.bench.ts). queryAuditEvents finds it by any
 * serial number it lists.
 */
export const GENERATED_BATCH_EVENT = 'system_serials:generated';
