/**
 * The PostgreSQL store's leases, store against store (two processes' stores on one schema): an event is
 * worked by its lease holder alone until the lease runs out, then a peer claims it; a completion that is no
 * longer the holder's changes nothing; record changes made at once by two stores all count.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leaseOwner, PostgresStore } from '../src/store/postgres.js';
import type { ObjectChange, WriteOp } from '../src/store/types.js';
import { dropSchema, PG_URL, querySchema, requirePostgres, uniqueName } from './helpers/deps.js';
import { event, insertOp } from './helpers/service.js';

const stores: PostgresStore[] = [];
let schema = '';
beforeAll(requirePostgres);
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await dropSchema(schema);
});

async function twoStores(leaseMs: number): Promise<[PostgresStore, PostgresStore]> {
  schema = uniqueName('wmon_lease');
  const open = async (name: string) => {
    const s = new PostgresStore(PG_URL, schema, 4, undefined, undefined, { owner: leaseOwner(name), leaseMs });
    stores.push(s);
    await s.init();
    return s;
  };
  return [await open('a'), await open('b')];
}

function insert(): { op: WriteOp; id: string } {
  const e = event('invoice.paid');
  return { op: insertOp(e), id: e.id };
}

/** A change that counts one more on `cus`. */
const countOne = (cus: string): ObjectChange => ({
  id: cus,
  apply: (current) => ({
    objectType: 'customer',
    customerId: cus,
    status: null,
    data: { n: ((current?.data.n as number | undefined) ?? 0) + 1 },
    eventCreated: 1,
  }),
});

describe('PostgreSQL leases', () => {
  it('leaves an event to the store that stored it while it renews, then to a peer once it stops (its leases released)', async () => {
    // Long enough that a's renewals (every third of it) keep the lease while it is alive.
    const [a, b] = await twoStores(1500);
    const { op, id } = insert();
    expect(await a.write(op)).toBe(true);
    expect(await b.loadPending(Date.now(), 10)).toEqual([]); // a's
    expect((await a.loadPending(Date.now(), 10)).map((e) => e.id)).toEqual([id]); // a's own, renewed
    await new Promise((r) => setTimeout(r, 2000));
    expect(await b.loadPending(Date.now(), 10)).toEqual([]); // a is alive and renews it

    await a.close(); // a graceful stop releases a's leases: b takes over at once
    const claimed = await b.loadPending(Date.now(), 10);
    expect(claimed.map((e) => e.id)).toEqual([id]);
    const done = await b.write({ kind: 'complete', id, at: Date.now(), upserts: [], changes: [countOne('cus_l')] });
    expect(done).toMatchObject({ records: [{ id: 'cus_l', data: { n: 1 } }] });
    expect(await b.getEvent(id)).toMatchObject({ status: 'processed' });
  });

  it('refuses a completion from a store whose lease a peer took over, and applies none of its changes', async () => {
    const [a, b] = await twoStores(30_000);
    const { op, id } = insert();
    await a.write(op);
    // a hangs past its lease (it renews every 10 s; here the lease simply runs out): b may claim the event.
    await querySchema(
      schema,
      `UPDATE webhook_event_state SET lease_until = ${Date.now() - 1} WHERE event_id = '${id}'`,
    );
    expect((await b.loadPending(Date.now(), 10)).map((e) => e.id)).toEqual([id]);
    // a wakes up and finishes its run: not its event any more.
    expect(await a.write({ kind: 'complete', id, at: Date.now(), upserts: [], changes: [countOne('cus_x')] })).toBe(
      false,
    );
    expect(await a.getObject('cus_x')).toBeUndefined();
    expect(await a.getEvent(id)).toMatchObject({ status: 'pending' });
    expect(await b.write({ kind: 'complete', id, at: Date.now(), upserts: [], changes: [countOne('cus_x')] })).toEqual({
      records: [expect.objectContaining({ id: 'cus_x', data: { n: 1 } })],
    });
  });

  it('counts every change two stores make to one record at once', async () => {
    const [a, b] = await twoStores(30_000);
    const mine = async (s: PostgresStore) => {
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const { op, id } = insert();
        await s.write(op);
        ids.push(id);
      }
      return ids;
    };
    const [idsA, idsB] = await Promise.all([mine(a), mine(b)]);
    const complete = (s: PostgresStore, id: string) =>
      s.write({ kind: 'complete', id, at: Date.now(), upserts: [], changes: [countOne('cus_shared')] });
    const results = await Promise.all([...idsA.map((id) => complete(a, id)), ...idsB.map((id) => complete(b, id))]);
    expect(results.every((r) => r !== false)).toBe(true);
    expect((await a.getObject('cus_shared'))?.data).toEqual({ n: 200 });
    // Completing again changes nothing: each event's changes apply once.
    expect(await complete(a, idsA[0]!)).toBe(false);
    expect((await a.getObject('cus_shared'))?.data).toEqual({ n: 200 });
  });

  it('fails alone, permanently, the event whose change throws; the rest of its batch commits', async () => {
    const [a] = await twoStores(30_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { op, id } = insert();
      await a.write(op);
      ids.push(id);
    }
    const throwing: ObjectChange = {
      id: 'cus_t',
      apply: () => {
        throw new Error('handler bug');
      },
    };
    // Submitted in one turn of the event loop: one batch.
    const settled = await Promise.allSettled(
      ids.map((id, i) =>
        a.write({
          kind: 'complete',
          id,
          at: Date.now(),
          upserts: [],
          changes: [i === 2 ? throwing : countOne('cus_t')],
        }),
      ),
    );
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: { permanent: true } });
    expect(String((settled[2] as PromiseRejectedResult).reason.message)).toContain('handler bug');
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect((await a.getObject('cus_t'))?.data).toEqual({ n: 4 });
    expect(await a.getEvent(ids[2]!)).toMatchObject({ status: 'pending' });
  });
});
