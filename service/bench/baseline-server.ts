/**
 * The benchmark's baseline and floors: the least a receiver can do, to show what the machine allows.
 *   verify   (a, the baseline) read the body, verify Stripe-Signature with the service's library and
 *            secret, answer 200. Nothing stored, nothing parsed, no metrics.
 *   parse    (c) verify, then JSON.parse the body (bad JSON must get a 400).
 *   durable  (d) parse, then store the event in SQLite (WAL, synchronous=FULL, 16 KiB pages, unique id)
 *            before answering, group-committed: one transaction per event-loop turn, on this thread.
 * No metrics, no cache, no queue, no processing, no logs: the service (b) does all of those on top.
 * Usage: node baseline-server.js <port> <secret> [verify|parse|durable] [sqlite file]
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import Stripe from 'stripe';

const [port, secret, mode, file] = [
  Number(process.argv[2]),
  process.argv[3] ?? '',
  process.argv[4] ?? 'verify',
  process.argv[5],
];
if (mode !== 'verify' && mode !== 'parse' && mode !== 'durable')
  throw new Error('usage: baseline-server.js <port> <secret> [verify|parse|durable] [sqlite file]');
if (mode === 'durable' && !file) throw new Error('durable needs a SQLite file');
const verifier = Stripe.webhooks.signature!;
const OK = Buffer.from('{"received":true}');

type Pending = { id: string; type: string; created: number; body: string; res: http.ServerResponse };
let store: ((event: Pending) => void) | undefined;
if (mode === 'durable') {
  const db = new Database(file!);
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, type TEXT NOT NULL, created INTEGER NOT NULL, payload TEXT NOT NULL)',
  );
  const insert = db.prepare(
    'INSERT INTO events (id, type, created, payload) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const commit = db.transaction((batch: Pending[]) => {
    for (const e of batch) insert.run(e.id, e.type, e.created, e.body);
  });
  let batch: Pending[] = [];
  store = (event) => {
    if (batch.push(event) > 1) return;
    setImmediate(() => {
      const mine = batch;
      batch = [];
      commit(mine);
      for (const e of mine) ok(e.res);
    });
  };
}

function ok(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length });
  res.end(OK);
}

function reject(res: http.ServerResponse, error: string): void {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error }));
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifier.verifyHeader(body, req.headers['stripe-signature'] ?? '', secret, 300);
      } catch {
        reject(res, 'signature');
        return;
      }
      if (mode === 'verify') {
        ok(res);
        return;
      }
      let event: { id?: unknown; type?: unknown; created?: unknown };
      try {
        event = JSON.parse(body) as typeof event;
      } catch {
        reject(res, 'invalid_json');
        return;
      }
      if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number') {
        reject(res, 'invalid_event');
        return;
      }
      if (store) store({ id: event.id, type: event.type, created: event.created, body, res });
      else ok(res);
    });
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
