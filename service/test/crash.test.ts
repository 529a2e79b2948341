/**
 * Crash safety: the service runs as a child process under signed load and is killed with SIGKILL. After a
 * restart on the same SQLite file, every event that got a 2xx is stored exactly once, the events left
 * pending are processed, and the per-customer counters show each event applied exactly once.
 * Also: SIGTERM stops gracefully (exit 0, in-flight requests answered).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { killChildren, signedPost, startChild as startServiceChild } from './helpers/child.js';
import { event, tempDir, waitFor } from './helpers/service.js';

const dirs: string[] = [];

afterAll(() => {
  killChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const startChild = (dbPath: string, env: Record<string, string> = {}) =>
  startServiceChild({ DATABASE_URL: `sqlite:${dbPath}`, ...env });

function readDb(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const events = db
      .prepare('SELECT e.id, s.status FROM webhook_events e JOIN webhook_event_state s ON s.event_id = e.id')
      .all() as { id: string; status: string }[];
    const customers = db.prepare("SELECT id, data FROM stripe_objects WHERE object_type = 'customer'").all() as {
      id: string;
      data: string;
    }[];
    return {
      events,
      customers: new Map(customers.map((c) => [c.id, JSON.parse(c.data) as { payments_succeeded?: number }])),
    };
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('keeps every acknowledged event exactly once across SIGKILL, and processes the pending ones on restart', async () => {
    const dir = tempDir('wmon-crash-');
    dirs.push(dir);
    const dbPath = join(dir, 'webhooks.db');
    // One worker and four customers: processing lags behind acceptance, so some events are pending at the kill.
    const first = await startChild(dbPath, { WORKERS: '1' });

    const acked = new Set<string>();
    const customerOf = new Map<string, string>();
    let stop = false;
    const loop = async (n: number) => {
      while (!stop) {
        const customer = `cus_crash${n % 4}`;
        const e = event('payment_intent.succeeded', { customer, amount_received: 1 });
        customerOf.set(e.id, customer);
        try {
          if ((await signedPost(first.url, e)) === 200) acked.add(e.id);
        } catch {
          // in flight when the process died: no promise was made
        }
      }
    };
    const loops = Array.from({ length: 24 }, (_, i) => loop(i));
    await waitFor(
      () => acked.size,
      (n) => n >= 600,
      '600 acknowledged events',
      30_000,
    );
    first.proc.kill('SIGKILL');
    const { signal } = await first.exited;
    stop = true;
    await Promise.all(loops);
    expect(signal).toBe('SIGKILL');

    const atCrash = readDb(dbPath);
    const storedIds = new Set(atCrash.events.map((e) => e.id));
    for (const id of acked) expect(storedIds.has(id), `acknowledged ${id} is stored`).toBe(true);
    const pendingAtCrash = atCrash.events.filter((e) => e.status === 'pending').length;
    expect(pendingAtCrash, 'events were left pending by the crash').toBeGreaterThan(0);

    const second = await startChild(dbPath, { WORKERS: '4' });
    await waitFor(
      () => readDb(dbPath).events.filter((e) => e.status !== 'processed').length,
      (n) => n === 0,
      'every stored event to be processed',
      60_000,
    );
    const after = readDb(dbPath);
    expect(after.events.length).toBe(atCrash.events.length); // nothing new, nothing lost, no duplicates
    expect(new Set(after.events.map((e) => e.id)).size).toBe(after.events.length);
    // Each stored event was applied exactly once: the per-customer counters add up to the stored events.
    const expected = new Map<string, number>();
    for (const e of after.events) {
      const c = customerOf.get(e.id)!;
      expected.set(c, (expected.get(c) ?? 0) + 1);
    }
    for (const [customer, n] of expected) expect(after.customers.get(customer)?.payments_succeeded, customer).toBe(n);
    // Logs are written asynchronously (flushed about once a second): wait for the line rather than race it.
    await waitFor(
      () => second.output(),
      (o) => o.includes('resuming events left pending by the previous run'),
      'the resume log line',
      10_000,
    );

    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('stops gracefully on SIGTERM: in-flight requests answered, then exit 0', async () => {
    const dir = tempDir('wmon-term-');
    dirs.push(dir);
    const child = await startChild(join(dir, 'webhooks.db'));
    const inflight = Array.from({ length: 40 }, () =>
      signedPost(child.url, event('charge.succeeded')).catch((err: Error) => err.message),
    );
    await new Promise((r) => setTimeout(r, 5));
    child.proc.kill('SIGTERM');
    const results = await Promise.all(inflight);
    const { code } = await child.exited;
    expect(code).toBe(0);
    // Everything sent before the signal got an answer (200), or was refused before it was read.
    expect(results.filter((r) => r !== 200 && typeof r === 'number')).toEqual([]);
    expect(child.output()).toContain('"msg":"stopped"');
    const { events } = readDb(join(dir, 'webhooks.db'));
    expect(events.length).toBe(results.filter((r) => r === 200).length);
  });
});
