/**
 * Sign and post Stripe events: the `send` helper (demos, load), the tests, and the end-to-end tests' probe
 * (@wmon/contract's probeEvent).
 * Signing uses the official library's generateTestHeaderString, exactly as Stripe's docs do in tests.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

/** The Stripe-Signature header for `payload`, signed with `secret` at `timestamp` (seconds; default now). */
export function signPayload(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
}

/** A fresh event id in Stripe's shape (evt_ + 24 base62-ish characters). */
export function newEventId(): string {
  return (
    'evt_' +
    randomBytes(18)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 24)
      .padEnd(24, '0')
  );
}

/** A copy of `event` with a new id and created time. */
export function withFreshId<T extends { id: string; created: number }>(
  event: T,
  created = Math.floor(Date.now() / 1000),
): T {
  return { ...event, id: newEventId(), created };
}

export interface PostOptions {
  readonly url: string;
  readonly secret: string;
  /** The exact bytes to send (signed as they are). */
  readonly payload: string;
  /** Sign with a wrong secret instead. */
  readonly badSignature?: boolean;
  readonly timestamp?: number;
  readonly timeoutMs?: number;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/** Sign `payload` and POST it. Network failures reject; any HTTP status resolves. */
export async function postSignedEvent(o: PostOptions): Promise<PostResult> {
  const secret = o.badSignature ? 'whsec_wrong' + randomBytes(8).toString('hex') : o.secret;
  const started = performance.now();
  const res = await fetch(o.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signPayload(o.payload, secret, o.timestamp),
      'user-agent': 'wmon-send/1',
    },
    body: o.payload,
    signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

/** service/fixtures/stripe-events, from the source tree or from dist/. */
export function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'fixtures', 'stripe-events');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find fixtures/stripe-events next to the service package');
}

export type StripeEventFixture = {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
} & Record<string, unknown>;

/** The example events, by type. */
export function loadFixtures(dir = fixturesDir()): Map<string, StripeEventFixture> {
  const out = new Map<string, StripeEventFixture>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const event = JSON.parse(readFileSync(join(dir, file), 'utf8')) as StripeEventFixture;
    out.set(event.type, event);
  }
  return out;
}
