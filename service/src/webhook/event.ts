/**
 * The parts of a Stripe event envelope the service relies on, and the bounded `type` label.
 */

/** A verified, parsed Stripe event (snapshot payload). Only the fields the service uses are typed. */
export interface StripeEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly api_version?: string | null;
  readonly data: { readonly object: StripeObject; readonly previous_attributes?: Record<string, unknown> };
}

export interface StripeObject {
  readonly id?: string;
  readonly object?: string;
  readonly [key: string]: unknown;
}

export type ParseResult =
  | { readonly ok: true; readonly event: StripeEvent }
  | { readonly ok: false; readonly error: 'invalid_json' | 'invalid_event'; readonly message: string };

const EVENT_ID = /^evt_[A-Za-z0-9_]{1,250}$/;
const EVENT_TYPE = /^[a-z_]+(\.[a-z_]+)+$/;

/** Parse a verified body. Bad JSON → invalid_json; JSON that is not an event envelope → invalid_event. */
export function parseEvent(body: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, error: 'invalid_json', message: 'the body is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'invalid_event', message: 'the body is not a JSON object' };
  }
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || !EVENT_ID.test(v.id)) {
    return { ok: false, error: 'invalid_event', message: 'the event has no valid id (evt_...)' };
  }
  if (typeof v.type !== 'string' || v.type.length === 0 || v.type.length > 200) {
    return { ok: false, error: 'invalid_event', message: 'the event has no type' };
  }
  const data = v.data as Record<string, unknown> | undefined;
  if (typeof data !== 'object' || data === null || typeof data.object !== 'object' || data.object === null) {
    return { ok: false, error: 'invalid_event', message: 'the event has no data.object' };
  }
  if (typeof v.created !== 'number') {
    return { ok: false, error: 'invalid_event', message: 'the event has no created timestamp' };
  }
  return { ok: true, event: value as StripeEvent };
}

/**
 * Stripe resource families whose event types may become label values. Anything else, and anything not
 * shaped like a Stripe event type, is counted as `other`; and at most MAX_TYPE_LABELS distinct values are
 * ever used, so a sender cannot blow up the number of series.
 */
const KNOWN_FAMILIES = new Set([
  'account',
  'application_fee',
  'balance',
  'billing_portal',
  'capability',
  'cash_balance',
  'charge',
  'checkout',
  'coupon',
  'credit_note',
  'customer',
  'customer_cash_balance_transaction',
  'entitlements',
  'file',
  'financial_connections',
  'identity',
  'invoice',
  'invoiceitem',
  'issuing_authorization',
  'issuing_card',
  'issuing_cardholder',
  'issuing_dispute',
  'issuing_transaction',
  'mandate',
  'payment_intent',
  'payment_link',
  'payment_method',
  'payout',
  'person',
  'plan',
  'price',
  'product',
  'promotion_code',
  'quote',
  'radar',
  'refund',
  'review',
  'setup_intent',
  'sigma',
  'source',
  'subscription_schedule',
  'tax',
  'tax_rate',
  'terminal',
  'test_helpers',
  'topup',
  'transfer',
  'treasury',
  'billing',
  'climate',
  'reporting',
]);
export const MAX_TYPE_LABELS = 150;

export class TypeLabeler {
  readonly #seen = new Set<string>();

  label(type: string): string {
    if (this.#seen.has(type)) return type;
    if (type.length > 64 || !EVENT_TYPE.test(type)) return 'other';
    const family = type.slice(0, type.indexOf('.'));
    if (!KNOWN_FAMILIES.has(family) || this.#seen.size >= MAX_TYPE_LABELS) return 'other';
    this.#seen.add(type);
    return type;
  }
}
