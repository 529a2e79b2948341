/**
 * Replicas: three service processes on one PostgreSQL database (and one Redis, or each its in-memory cache).
 * Every event is delivered to all three at once, as when Stripe retries while a load balancer spreads the
 * deliveries, and one replica is killed with SIGKILL halfway. Afterwards every acknowledged event is stored
 * once and was processed exactly once (the replicas' success counters add up to the events), and the
 * per-customer records the handlers keep are exact.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPLICA_LABEL } from '@wmon/contract';
import { killChildren, signedPost, startChild, type Child } from './helpers/child.js';
import { postgresRedisBackend, querySchema, requirePostgres, requireRedis } from './helpers/deps.js';
import { event, sample, scrape, waitFor, type Fixture } from './helpers/service.js';

const EVENTS = 300;
const CUSTOMERS = 10;
/** Events delivered at once (each to all three replicas). */
const CONCURRENCY = 12;
/** What each event type adds to its customer's record (the default handlers). */
const TYPES = ['payment_intent.succeeded', 'invoice.paid', 'checkout.session.completed', 'charge.succeeded'] as const;
const COUNTER: Record<(typeof TYPES)[number], string | undefined> = {
  'payment_intent.succeeded': 'payments_succeeded',
  'invoice.paid': 'invoices_paid',
  'checkout.session.completed': 'checkouts_completed',
  'charge.succeeded': undefined,
};

const backend = postgresRedisBackend();
beforeAll(async () => {
  await requirePostgres();
  await requireRedis();
});
afterEach(async () => {
  killChildren();
  await backend.cleanup();
});
afterAll(killChildren);

function makeEvents(): { events: Fixture[]; expected: Map<string, Record<string, number>> } {
  const events: Fixture[] = [];
  const expected = new Map<string, Record<string, number>>();
  for (let i = 0; i < EVENTS; i++) {
    const type = TYPES[i % TYPES.length]!;
    const customer = `cus_replica${i % CUSTOMERS}`;
    events.push(
      event(type, {
        customer,
        ...(type === 'payment_intent.succeeded' ? { amount_received: 100, currency: 'usd' } : {}),
      }),
    );
    const want = expected.get(customer) ?? {};
    const counter = COUNTER[type];
    if (counter) want[counter] = (want[counter] ?? 0) + 1;
    if (type === 'payment_intent.succeeded') want.usd = (want.usd ?? 0) + 100;
    expected.set(customer, want);
  }
  return { events, expected };
}

async function runReplicas(withRedis: boolean): Promise<void> {
  const env = await backend.env();
  const schema = env.DATABASE_SCHEMA!;
  if (!withRedis) {
    delete env.REDIS_URL;
    delete env.REDIS_KEY_PREFIX;
  }
  const names = ['r1', 'r2', 'r3'];
  // A short lease: the killed replica's events pass to its peers within seconds.
  const replicas: Child[] = [];
  for (const name of names)
    replicas.push(await startChild({ ...env, REPLICA: name, LEASE_MS: '2000', WORKERS: '4', LOG_LEVEL: 'warn' }));
  const victim = replicas[2]!;

  const { events, expected } = makeEvents();
  const acked = new Set<string>();
  let next = 0;
  let killed = false;
  const deliver = async () => {
    while (next < events.length) {
      const e = events[next++]!;
      if (next > EVENTS / 2 && !killed) {
        killed = true;
        victim.proc.kill('SIGKILL');
      }
      const statuses = await Promise.all(replicas.map((r) => signedPost(r.url, e).catch(() => 0)));
      if (statuses.includes(200)) acked.add(e.id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, deliver));
  expect((await victim.exited).signal).toBe('SIGKILL');
  // Each event reached at least the two replicas that lived: all were acknowledged.
  expect(acked.size).toBe(EVENTS);

  const states = await waitFor(
    () =>
      querySchema<{ status: string; n: string }>(
        schema,
        'SELECT status, count(*) AS n FROM webhook_event_state GROUP BY status',
      ),
    (rows) => rows.length === 1 && rows[0]!.status === 'processed' && Number(rows[0]!.n) === EVENTS,
    `all ${EVENTS} events processed (the killed replica's taken over)`,
    60_000,
  );
  expect(states).toEqual([{ status: 'processed', n: String(EVENTS) }]);

  // Stored once each: the acknowledged ids and nothing else.
  const stored = await querySchema<{ id: string }>(schema, 'SELECT id FROM webhook_events');
  expect(stored.map((r) => r.id).sort()).toEqual([...acked].sort());

  // Processed exactly once: the live replicas' success counters equal the events each completed, and the
  // killed one completed the rest (its counter died with it; the database says which events it completed).
  const completedBy = await querySchema<{ replica: string; n: string }>(
    schema,
    "SELECT split_part(lease_owner, '/', 1) AS replica, count(*) AS n FROM webhook_event_state GROUP BY 1",
  );
  const byReplica = new Map(completedBy.map((r) => [r.replica, Number(r.n)]));
  expect([...byReplica.keys()].every((r) => names.includes(r))).toBe(true);
  let successes = 0;
  for (const [i, r] of replicas.slice(0, 2).entries()) {
    const text = await scrape(r.internalUrl);
    const n = sample(text, 'webhook_events_processed_total', {
      outcome: 'success',
      source: 'external',
      [REPLICA_LABEL]: names[i]!,
    });
    expect(n, `${names[i]}'s success counter`).toBe(byReplica.get(names[i]!) ?? 0);
    successes += n;
  }
  expect(successes + (byReplica.get('r3') ?? 0)).toBe(EVENTS);
  expect(successes, 'the live replicas took over the killed one’s events').toBeGreaterThan(0);

  // Per-customer records exact: every event applied once.
  const customers = await querySchema<{ id: string; data: Record<string, unknown> }>(
    schema,
    "SELECT id, data FROM stripe_objects WHERE object_type = 'customer'",
  );
  const got = new Map(
    customers.map((c) => {
      const d = c.data as Record<string, number | Record<string, number>>;
      const counters: Record<string, number> = {};
      for (const key of ['payments_succeeded', 'invoices_paid', 'checkouts_completed'])
        if (typeof d[key] === 'number') counters[key] = d[key];
      const usd = (d.amount_paid as Record<string, number> | undefined)?.usd;
      if (usd !== undefined) counters.usd = usd;
      return [c.id, counters];
    }),
  );
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));

  for (const r of replicas.slice(0, 2)) r.proc.kill('SIGTERM');
  for (const r of replicas.slice(0, 2)) expect((await r.exited).code).toBe(0);
}

describe('three replicas on one PostgreSQL database, one killed halfway', () => {
  it('with one Redis: every acknowledged event stored once, processed once, customer records exact', async () => {
    await runReplicas(true);
  });

  it('with each replica its in-memory cache: the same', async () => {
    await runReplicas(false);
  });
});
