/**
 * The synthetic Stripe event that proves the webhook path end to end: `wmon check --probe` sends it to a
 * running stack, and the end-to-end tests send it to a freshly built image.
 */
import { randomBytes } from 'node:crypto';

import { PROBE_SOURCE, type TrafficSource } from './labels.js';

/**
 * The API version the events carry: the one pinned by the `stripe` library that both the CLI (it signs
 * the probe) and the service (it verifies signatures) depend on, stripe@23 (its `Stripe.API_VERSION`).
 * A test fails when the installed library pins another one.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

/** A type the service records and nothing else acts on. */
export const PROBE_EVENT_TYPE = 'balance.available';

/** Probe events' ids start with this, so they can be told apart in the service's store and logs. */
export const PROBE_EVENT_ID_PREFIX = 'evt_wmonprobe';

/** A Stripe event envelope, as Stripe sends it, with an empty balance. */
export interface ProbeEvent {
  readonly id: string;
  readonly object: 'event';
  readonly type: typeof PROBE_EVENT_TYPE;
  readonly api_version: string;
  /** Unix seconds. */
  readonly created: number;
  readonly livemode: false;
  readonly pending_webhooks: number;
  readonly request: { readonly id: null; readonly idempotency_key: null };
  readonly data: {
    readonly object: {
      readonly object: 'balance';
      readonly available: [];
      readonly pending: [];
      readonly livemode: false;
    };
  };
}

/** A new probe event (a fresh id each call), created at `now`. */
export function probeEvent(now: Date = new Date()): ProbeEvent {
  return {
    id: `${PROBE_EVENT_ID_PREFIX}${randomBytes(10).toString('hex')}`,
    object: 'event',
    type: PROBE_EVENT_TYPE,
    api_version: STRIPE_API_VERSION,
    created: Math.floor(now.getTime() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { object: 'balance', available: [], pending: [], livemode: false } },
  };
}

/**
 * Whether an event is wmon's probe: the probe's type, an `evt_wmonprobe…` id, and test mode (a live event is
 * never the probe). The service counts it with `source="probe"`, apart from business traffic.
 */
export function isProbeEvent(event: {
  readonly id: string;
  readonly type: string;
  readonly livemode?: unknown;
}): boolean {
  return event.type === PROBE_EVENT_TYPE && event.id.startsWith(PROBE_EVENT_ID_PREFIX) && event.livemode !== true;
}

/** The `source` label of an event's metrics: `probe` for wmon's probe, `external` for any other. */
export function trafficSource(event: {
  readonly id: string;
  readonly type: string;
  readonly livemode?: unknown;
}): TrafficSource {
  return isProbeEvent(event) ? PROBE_SOURCE : 'external';
}
