/**
 * The default handlers: each keeps a record of the event's object (payment intent, charge, invoice,
 * subscription, checkout session) and of the customer it belongs to, in `stripe_objects`, read and
 * written through the cache. Records are only replaced by newer events (Stripe does not guarantee order).
 */
import type { ObjectRecord } from '../store/types.js';
import type { StripeEvent, StripeObject } from '../webhook/event.js';
import { HandlerRegistry, type HandlerContext, type ObjectUpdate } from './registry.js';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** What a record keeps of an object: text and numbers (null when absent or of another kind), flags (true only when true). */
interface Fields {
  readonly text?: readonly string[];
  readonly numbers?: readonly string[];
  readonly flags?: readonly string[];
}
const fields =
  ({ text = [], numbers = [], flags = [] }: Fields) =>
  (o: StripeObject): Record<string, unknown> =>
    Object.fromEntries([
      ...numbers.map((k) => [k, num(o[k])]),
      ...text.map((k) => [k, str(o[k])]),
      ...flags.map((k) => [k, o[k] === true]),
    ]);

/** What the record of each kind of object keeps of it. */
const KEPT: Readonly<Record<string, Fields>> = {
  payment_intent: { numbers: ['amount', 'amount_received'], text: ['currency', 'latest_charge', 'payment_method'] },
  charge: {
    numbers: ['amount', 'amount_captured', 'amount_refunded'],
    text: ['currency', 'payment_intent', 'failure_code'],
    flags: ['paid', 'refunded'],
  },
  invoice: {
    numbers: ['amount_due', 'amount_paid', 'amount_remaining'],
    text: ['currency', 'number', 'billing_reason'],
  },
  checkout_session: {
    numbers: ['amount_total'],
    text: ['mode', 'payment_status', 'currency', 'payment_intent', 'subscription'],
  },
};

/** `customer` is an id, or an expanded object with an id. */
const customerOf = (o: StripeObject): string | null => {
  const c = o.customer;
  if (typeof c === 'string') return c;
  if (c && typeof c === 'object' && typeof (c as { id?: unknown }).id === 'string') return (c as { id: string }).id;
  return null;
};

/** Keep a snapshot of the event's object, unless a newer event already wrote one. */
async function recordObject(
  event: StripeEvent,
  ctx: HandlerContext,
  objectType: string,
  pick: (o: StripeObject) => Record<string, unknown> = fields(KEPT[objectType] ?? {}),
) {
  const o = event.data.object;
  if (typeof o.id !== 'string') return;
  const customerId = customerOf(o);
  // Enrich the record with what we know of the customer (a cached read on the hot path).
  const customer = customerId ? await ctx.get(customerId) : undefined;
  await ctx.update(o.id, (current) => {
    if (current && current.eventCreated > event.created) return undefined; // stale delivery
    return {
      objectType,
      customerId,
      status: str(o.status),
      data: {
        ...pick(o),
        customer_subscription_status: customer?.status ?? null,
        customer_delinquent: customer?.data.delinquent === true,
        last_event_id: event.id,
        last_event_type: event.type,
      },
      eventCreated: event.created,
    };
  });
}

type CustomerData = Record<string, unknown> & {
  payments_succeeded?: number;
  payments_failed?: number;
  amount_paid?: Record<string, number>;
  refunds?: number;
  invoices_paid?: number;
  invoices_failed?: number;
  checkouts_completed?: number;
};

/** Update the customer's running record. Counters always apply: each event is processed exactly once. */
async function updateCustomer(
  event: StripeEvent,
  ctx: HandlerContext,
  change: (d: CustomerData, current: ObjectRecord | undefined) => void,
) {
  const customer = customerOf(event.data.object);
  if (!customer) return;
  await ctx.update(customer, (current): ObjectUpdate => {
    const data: CustomerData = { ...(current?.data ?? {}) };
    change(data, current);
    data.last_event_id = event.id;
    return {
      objectType: 'customer',
      customerId: customer,
      status: str(data.subscription_status) ?? current?.status ?? null,
      data,
      eventCreated: Math.max(current?.eventCreated ?? 0, event.created),
    };
  });
}

function addAmount(d: CustomerData, currency: unknown, amount: unknown): void {
  const c = str(currency);
  const a = num(amount);
  if (!c || a === null) return;
  d.amount_paid = { ...(d.amount_paid ?? {}), [c]: (d.amount_paid?.[c] ?? 0) + a };
}

type Counter =
  'payments_succeeded' | 'payments_failed' | 'refunds' | 'invoices_paid' | 'invoices_failed' | 'checkouts_completed';
const inc = (d: CustomerData, key: Counter): void => {
  d[key] = (d[key] ?? 0) + 1;
};

export function paymentIntentHandler() {
  return async (event: StripeEvent, ctx: HandlerContext) => {
    const o = event.data.object;
    await recordObject(event, ctx, 'payment_intent');
    if (event.type === 'payment_intent.succeeded') {
      await updateCustomer(event, ctx, (d) => {
        inc(d, 'payments_succeeded');
        addAmount(d, o.currency, o.amount_received ?? o.amount);
        d.last_payment_at = event.created;
      });
    } else if (event.type === 'payment_intent.payment_failed') {
      await updateCustomer(event, ctx, (d) => inc(d, 'payments_failed'));
    }
  };
}

export function chargeHandler() {
  return async (event: StripeEvent, ctx: HandlerContext) => {
    await recordObject(event, ctx, 'charge');
    if (event.type === 'charge.refunded') await updateCustomer(event, ctx, (d) => inc(d, 'refunds'));
    else if (event.type === 'charge.failed') await updateCustomer(event, ctx, (d) => inc(d, 'payments_failed'));
  };
}

export function invoiceHandler() {
  return async (event: StripeEvent, ctx: HandlerContext) => {
    await recordObject(event, ctx, 'invoice');
    if (event.type === 'invoice.paid') {
      await updateCustomer(event, ctx, (d) => {
        inc(d, 'invoices_paid');
        d.delinquent = false;
        d.last_invoice_paid_at = event.created;
      });
    } else if (event.type === 'invoice.payment_failed') {
      await updateCustomer(event, ctx, (d) => {
        inc(d, 'invoices_failed');
        d.delinquent = true;
      });
    }
  };
}

export function subscriptionHandler() {
  return async (event: StripeEvent, ctx: HandlerContext) => {
    const s = event.data.object;
    const status = event.type === 'customer.subscription.deleted' ? 'canceled' : str(s.status);
    await recordObject(event, ctx, 'subscription', (o) => ({
      ...fields({ flags: ['cancel_at_period_end'] })(o),
      items: Array.isArray((o.items as { data?: unknown } | undefined)?.data)
        ? (o.items as { data: unknown[] }).data.length
        : null,
      previous_status: str(event.data.previous_attributes?.status),
    }));
    await updateCustomer(event, ctx, (d, current) => {
      // Only the newest subscription event decides the customer's subscription status.
      if (!current || event.created >= (num(d.subscription_status_at) ?? 0)) {
        d.subscription_status = status;
        d.subscription_status_at = event.created;
        d.subscription_id = str(s.id);
      }
    });
  };
}

export function checkoutSessionHandler() {
  return async (event: StripeEvent, ctx: HandlerContext) => {
    await recordObject(event, ctx, 'checkout_session');
    if (event.type === 'checkout.session.completed') {
      await updateCustomer(event, ctx, (d) => inc(d, 'checkouts_completed'));
    }
  };
}

/** Event types nobody handles are stored and marked processed: accepting them is the whole job. */
export const acknowledgeHandler = async (): Promise<void> => {};

export function defaultRegistry(): HandlerRegistry {
  return new HandlerRegistry()
    .register('payment_intent.*', paymentIntentHandler())
    .register('charge.*', chargeHandler())
    .register('invoice.*', invoiceHandler())
    .register('customer.subscription.*', subscriptionHandler())
    .register('checkout.session.*', checkoutSessionHandler())
    .register('*', acknowledgeHandler);
}
