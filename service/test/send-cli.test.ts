/**
 * `npm run send`: the signing secret can come from a file, so it never has to be on the command line npm
 * prints; nothing it prints contains the secret.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVICE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'whsec_sendclitest0123456789abcdef';

let server: http.Server;
let url: string;
const received: Array<{ body: string; signature: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature'] ?? '') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('npm run send', () => {
  it('signs with the secret of --secret-file and prints nothing of it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wmon-send-'));
    const file = path.join(dir, 'stripe-webhook-secret');
    await writeFile(file, `${SECRET}\n`, { mode: 0o600 });
    const { stdout, stderr } = await promisify(execFile)(
      'npx',
      ['tsx', '--conditions=@wmon/source', 'src/send-cli.ts', '--url', url, '--secret-file', file, '--count', '2'],
      { cwd: SERVICE, env: { ...process.env, STRIPE_WEBHOOK_SECRET: '' }, timeout: 60_000 },
    );
    expect(received).toHaveLength(2);
    const stripe = new Stripe('sk_test_unused');
    for (const r of received) expect(() => stripe.webhooks.constructEvent(r.body, r.signature, SECRET)).not.toThrow();
    expect(stdout + stderr).not.toContain(SECRET);
  }, 90_000);
});
