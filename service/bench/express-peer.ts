/**
 * The benchmark's peer (e): what a team following Stripe's documentation writes, made durable. Express with
 * `express.raw` on the webhook route, `stripe.webhooks.constructEvent`, then one better-sqlite3 insert per
 * request (WAL, synchronous=FULL) before answering `{ received: true }`. Nothing else: no queue, no metrics.
 * Usage: node express-peer.js <port> <secret> <sqlite file>
 */
import Database from 'better-sqlite3';
import express from 'express';
import Stripe from 'stripe';
import { ROUTES } from '@wmon/contract';

const [port, endpointSecret, file] = [Number(process.argv[2]), process.argv[3] ?? '', process.argv[4]];
if (!file) throw new Error('usage: express-peer.js <port> <secret> <sqlite file>');

const stripe = new Stripe('sk_test_bench_peer');
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, type TEXT NOT NULL, created INTEGER, payload TEXT)');
const insert = db.prepare('INSERT INTO events (id, type, created, payload) VALUES (?, ?, ?, ?)');

const app = express();
app.post(ROUTES.webhook, express.raw({ type: 'application/json', limit: '1mb' }), (req, res) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(req.body as Buffer, req.headers['stripe-signature'] ?? '', endpointSecret);
  } catch (err) {
    res.status(400).send(`Webhook Error: ${(err as Error).message}`);
    return;
  }
  insert.run(event.id, event.type, event.created, (req.body as Buffer).toString('utf8'));
  res.json({ received: true });
});
app.listen(port, '127.0.0.1');
