/**
 * The local Stripe API server (test/helpers/stripe-api.ts) answers the official `stripe` library as Stripe
 * documents List Events and Retrieve Event: filters, pagination, errors.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pastEvents } from './helpers/reconcile-behaviour.js';
import { startStripeApi, type StripeApiServer } from './helpers/stripe-api.js';

const KEY = 'rk_test_51stripeApiServerTest0123';
let api: StripeApiServer;
let stripe: Stripe;
const events = pastEvents(12);

beforeAll(async () => {
  api = await startStripeApi(KEY);
  api.add(events.slice(0, 8), { deliverySuccess: true });
  api.add(events.slice(8), { deliverySuccess: false });
  stripe = new Stripe(KEY, { host: '127.0.0.1', port: api.port, protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(async () => {
  await api.close();
});

describe('the local Stripe API server, through the official library', () => {
  it('lists newest first, pages with starting_after until has_more is false', async () => {
    const ids: string[] = [];
    for await (const e of stripe.events.list({ limit: 5 })) ids.push(e.id);
    const newestFirst = [...events].sort((a, b) => b.created - a.created).map((e) => e.id);
    expect(ids).toEqual(newestFirst);
    const pages = api.requests.filter((r) => r.path === '/v1/events');
    expect(pages.map((r) => r.query.get('starting_after'))).toEqual([null, newestFirst[4], newestFirst[9]]);
    const first = await stripe.events.list({ limit: 5 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/events' });
  });

  it('filters by created[gte], types[] and delivery_success', async () => {
    const cutoff = events[5]!.created;
    const recent = await stripe.events.list({ created: { gte: cutoff }, limit: 100 });
    expect(recent.data.every((e) => e.created >= cutoff)).toBe(true);
    expect(recent.data).toHaveLength(6);
    const typed = await stripe.events.list({ types: ['invoice.paid', 'charge.succeeded'], limit: 100 });
    expect(new Set(typed.data.map((e) => e.type))).toEqual(new Set(['invoice.paid', 'charge.succeeded']));
    expect(typed.data).toHaveLength(6);
    const failed = await stripe.events.list({ delivery_success: false, limit: 100 });
    expect(failed.data.map((e) => e.id).sort()).toEqual(
      events
        .slice(8)
        .map((e) => e.id)
        .sort(),
    );
  });

  it('retrieves one event, and answers Stripe errors: unknown id, invalid key, bad limit, 429', async () => {
    expect((await stripe.events.retrieve(events[0]!.id)).id).toBe(events[0]!.id);
    await expect(stripe.events.retrieve('evt_nope')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
      message: "No such event: 'evt_nope'",
    });
    const wrong = new Stripe('rk_test_wrongKey000000abcd', { host: '127.0.0.1', port: api.port, protocol: 'http' });
    await expect(wrong.events.list()).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
      message: 'Invalid API Key provided: rk_test_****abcd',
    });
    await expect(stripe.events.list({ limit: 101 })).rejects.toMatchObject({ statusCode: 400, param: 'limit' });
    api.rateLimit(1, 2);
    const limited = await stripe.events.list().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((limited as Stripe.errors.StripeError).headers?.['retry-after']).toBe('2');
  });
});
