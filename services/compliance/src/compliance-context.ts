import type { JwtVerifier, Service } from '@cutover/service-kit';
import type pg from 'pg';
import type { ComplianceConfig } from './compliance-config.ts';
import type { Downstreams } from './downstreams.ts';
import type { SanctionsListHolder } from './sanctions/sanctions-list-holder.ts';
import type { ScreeningStore } from './sanctions/screening-store.ts';
import type { VenueStore } from './venues/venue-store.ts';

/** Event types sent to webhook endpoints. */
export const WEBHOOK_EVENT_TYPES = [
  'venue.verified',
  'venue.rejected',
  'screening.match',
  'tax.threshold_reached',
  'risk.review_opened',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Where domain events go (the webhook outbox). */
export interface EventSink {
  publish(type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
}

/** What the route modules share. */
export interface ComplianceContext {
  config: ComplianceConfig;
  service: Service;
  pool: pg.Pool;
  verifier: JwtVerifier;
  venues: VenueStore;
  screenings: ScreeningStore;
  sanctions: SanctionsListHolder;
  events: EventSink;
  downstreams: Downstreams;
}
