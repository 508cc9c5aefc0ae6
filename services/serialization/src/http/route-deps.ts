import type { JwtVerifier } from '@cutover/service-kit';
import type { SerializationMetrics } from './serialization-metrics.ts';

/** What every group of routes needs. */
export interface RouteDeps {
  verifier: JwtVerifier;
  metrics: SerializationMetrics;
}
