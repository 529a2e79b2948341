/**
 * Durable acceptance of one verified event: the one path both a webhook delivery and a reconcile with
 * Stripe take. The cache answers recent ids; the database's unique key decides, so an event delivered by
 * webhook while a reconcile recovers it is stored once and processed once.
 */
import type { Logger } from 'pino';
import type { EventSource, TrafficSource } from '@wmon/contract';
import { EVENT_ID_TTL_SECONDS, type Cache } from '../cache/index.js';
import type { MetricsHandle } from '../metrics.js';
import type { EventProcessor } from '../queue/processor.js';
import type { Store } from '../store/types.js';
import type { StripeEvent, TypeLabeler } from './event.js';

export interface AcceptDeps {
  readonly store: Store;
  readonly cache: Cache;
  readonly processor: EventProcessor;
  readonly metrics: MetricsHandle;
  readonly types: TypeLabeler;
  readonly log: Logger;
}

/** `new`: stored now and queued; `duplicate`: already stored (not processed again). */
export type Acceptance = 'new' | 'duplicate';

/** Seconds from an event's `created` (Unix seconds) to its acceptance at `acceptedAtMs`, never negative. */
export function deliveryLagSeconds(acceptedAtMs: number, createdSeconds: number): number {
  return Math.max(0, acceptedAtMs / 1000 - createdSeconds);
}

/**
 * Store the event (throws the store's DatabaseError when it cannot), then queue it for processing once.
 * `payload` is the event's JSON text as verified (a delivery's body, or the API's answer); `raw` its bytes
 * when at hand. `traffic` labels its metrics: `probe` for wmon's probe, counted apart from business traffic.
 */
export async function acceptEvent(
  deps: AcceptDeps,
  event: StripeEvent,
  payload: string,
  source: EventSource,
  raw?: Uint8Array,
  traffic: TrafficSource = 'external',
): Promise<Acceptance> {
  const { m } = deps.metrics;
  if ((await deps.cache.get('event_ids', event.id)) !== undefined) {
    m.eventsProcessed.inc({ outcome: 'duplicate', source: traffic });
    return 'duplicate';
  }
  const receivedAt = Date.now();
  const isNew = (await deps.store.write({
    kind: 'insert',
    event: {
      id: event.id,
      type: event.type,
      created: event.created,
      livemode: event.livemode === true,
      receivedAt,
      payload,
      ...(raw ? { raw } : {}),
      source,
    },
  })) as boolean;
  void deps.cache.set('event_ids', event.id, '1', EVENT_ID_TTL_SECONDS);
  if (!isNew) {
    m.eventsProcessed.inc({ outcome: 'duplicate', source: traffic });
    return 'duplicate';
  }
  m.eventsByType.inc({ type: deps.types.label(event.type), source: traffic });
  // Late when Stripe is retrying (an earlier delivery failed); a clock ahead of ours counts as no lag. Only
  // Stripe's deliveries: not wmon's probe, nor an event a reconcile found missing (WebhookEventsMissed's news).
  if (source === 'webhook' && traffic !== 'probe')
    m.eventDeliveryLag.observe(deliveryLagSeconds(receivedAt, event.created));
  deps.processor.enqueue({ id: event.id, type: event.type, event, payload, attempts: 0, receivedAt });
  deps.log.debug({ eventId: event.id, eventType: event.type, source }, 'event accepted');
  return 'new';
}
