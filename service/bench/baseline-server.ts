/**
 * The benchmark's baseline: a bare node:http server that reads the body, verifies Stripe-Signature with
 * the same library and secret, and answers 200. Nothing stored, nothing parsed, no metrics.
 * Usage: node baseline-server.js <port> <secret>
 */
import http from 'node:http';
import Stripe from 'stripe';

const [port, secret] = [Number(process.argv[2]), process.argv[3] ?? ''];
const verifier = Stripe.webhooks.signature!;
const OK = Buffer.from('{"received":true}');

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifier.verifyHeader(body, req.headers['stripe-signature'] ?? '', secret, 300);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length });
        res.end(OK);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"signature"}');
      }
    });
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
