import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { PROBE_EVENT_ID_PREFIX, STRIPE_API_VERSION, probeEvent } from '../src/index.js';

describe('the probe event', () => {
  it('carries the API version of the stripe library the CLI and the service use', () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION);
    expect(probeEvent().api_version).toBe(Stripe.API_VERSION);
  });

  it('is a Stripe event envelope with a fresh, recognisable id each time, created at the time given', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const a = probeEvent(at);
    const b = probeEvent(at);
    expect(a.id).not.toBe(b.id);
    // The service's own rule for event ids.
    expect(a.id).toMatch(/^evt_[A-Za-z0-9_]{1,250}$/);
    expect(a.id.startsWith(PROBE_EVENT_ID_PREFIX)).toBe(true);
    expect(a).toMatchObject({ object: 'event', type: 'balance.available', created: 1767323045, livemode: false });
    expect(a.data.object.object).toBe('balance');
  });

  it("verifies with Stripe's own library once signed", () => {
    const payload = JSON.stringify(probeEvent());
    const secret = 'whsec_contract_test';
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const event = Stripe.webhooks.constructEvent(payload, header, secret);
    expect(event.type).toBe('balance.available');
  });
});
