/**
 * The parts of a Stripe event envelope the service relies on, and the bounded `type` label.
 */
import { z } from 'zod';

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

/** Control characters (C0 with NUL, DEL, C1) and lone UTF-16 surrogates: no database stores them as text. */
const UNSTORABLE_CHAR = /[\p{Cc}\p{Cs}]/u;

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the store needs of an event envelope. PostgreSQL keeps `created` in a BIGINT and `type` in TEXT,
 * which refuses NUL; a value it cannot hold would fail the whole group commit, so it is refused here, the
 * same on SQLite.
 */
const envelopeSchema = z.object({
  id: z.string().regex(EVENT_ID, 'the event has no valid id (evt_ followed by letters, digits or _)'),
  type: z
    .string()
    .min(1, 'the event has no type')
    .max(200, 'the event type is longer than 200 characters')
    .refine((t) => !UNSTORABLE_CHAR.test(t), 'the event type contains a control character or a lone surrogate'),
  created: z
    .number('the event has no created timestamp')
    .int("the event's created timestamp is not a whole number of seconds")
    .min(0, "the event's created timestamp is negative")
    .max(Number.MAX_SAFE_INTEGER, "the event's created timestamp is out of range"),
  livemode: z.boolean("the event's livemode is not true or false").optional(),
  // A check, not z.record: a record schema copies and checks every key of the object (~45 µs per event).
  data: z.object(
    { object: z.custom<Record<string, unknown>>(isPlainObject, 'the event has no data.object') },
    'the event has no data.object',
  ),
});

/**
 * NUL (`\u0000`) or a lone surrogate (`\ud800`) inside any string or key of the event. PostgreSQL's text
 * and jsonb refuse both, and they can only come from such escapes in the JSON text (the body is valid
 * UTF-8 and raw control characters are not JSON), so the walk runs only when one appears.
 */
const SUSPECT_ESCAPE = /\\u(0000|d[89a-f])/i;
const NUL_OR_SURROGATE = /[\0\p{Cs}]/u;

function unstorableString(value: unknown): string | undefined {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (NUL_OR_SURROGATE.test(v)) return path || '(top level)';
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]` });
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        const at = `${path}${path ? '.' : ''}${k.slice(0, 64)}`;
        if (NUL_OR_SURROGATE.test(k)) return at;
        stack.push({ v: child, path: at });
      }
    }
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, or undefined when its bytes are not valid UTF-8. */
export function decodeBody(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Parse a verified body. Bad JSON → invalid_json; JSON that is not an event envelope, or one holding a
 * value the database cannot store → invalid_event (with the reason).
 */
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
  const checked = envelopeSchema.safeParse(value);
  if (!checked.success) return { ok: false, error: 'invalid_event', message: checked.error.issues[0]!.message };
  if (SUSPECT_ESCAPE.test(body)) {
    const at = unstorableString(value);
    if (at !== undefined) {
      return {
        ok: false,
        error: 'invalid_event',
        message: `the event holds a NUL character or a lone surrogate at ${at}, which the database cannot store`,
      };
    }
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
