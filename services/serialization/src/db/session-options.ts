import { postgresSessionOptions } from '@cutover/service-kit';

/**
 * The PostgreSQL session settings of the service's connections (the `options` startup parameter).
 *
 * `jit=off`: the service's statements are short, and PostgreSQL compiles a statement whose
 * estimated cost passes jit_above_cost (100,000; inlined and optimized past 500,000) at every
 * execution, prepared or not. A batch of 1,000 generated serials looks its values up in the
 * registry one by one, and once ANALYZE has seen a large registry its estimate passed 500,000:
 * about 400 ms of compilation a batch, held with the pattern's counter row, so every generator of
 * that counter waited for it (auto_explain in bench/serialization.bench.ts, 4 December 2026: the
 * in-process generators fell to 3,262 serials/s; 26,727/s with jit off).
 */
export const POSTGRES_SESSION_OPTIONS = postgresSessionOptions('-c jit=off');
