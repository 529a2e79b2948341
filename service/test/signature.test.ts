/**
 * Stripe-Signature behaviour at the HTTP level, against the running service: every rejection is a 400
 * naming the reason and counted in webhook_signature_failures_total{reason}; nothing rejected is stored.
 */
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../src/send.js';
import {
  event,
  post,
  rawPost,
  sample,
  scrape,
  SECRET,
  SECRET_2,
  startService,
  type Running,
} from './helpers/service.js';

let svc: Running;
let rotated: Running;

beforeAll(async () => {
  [svc, rotated] = await Promise.all([
    startService({ BODY_LIMIT_BYTES: '65536' }),
    startService({ STRIPE_WEBHOOK_SECRET: `${SECRET_2}, ${SECRET}` }),
  ]);
});
afterAll(async () => {
  await Promise.all([svc?.stop(), rotated?.stop()]);
});

const v1 = (payload: string, secret: string, t: number) =>
  createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
const now = () => Math.floor(Date.now() / 1000);

async function expectRejected(
  res: { status: number; body: Record<string, unknown> },
  reason: string,
  payloadId?: string,
) {
  expect(res.status).toBe(400);
  expect(res.body.error).toBe(reason);
  expect(typeof res.body.message).toBe('string');
  if (payloadId) expect(await svc.service.store.getEvent(payloadId)).toBeUndefined();
}

describe('Stripe-Signature verification over HTTP', () => {
  it('accepts a valid signature', async () => {
    const e = event('charge.succeeded');
    const res = await post(svc.webhookUrl, e);
    expect(res).toMatchObject({ status: 200, body: { received: true } });
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('rejects a missing header', async () => {
    const e = event('charge.succeeded');
    const res = await rawPost(svc.webhookUrl, JSON.stringify(e), [['content-type', 'application/json']]);
    await expectRejected({ status: res.status, body: res.json() }, 'missing_header', e.id);
  });

  it('rejects a malformed header (no timestamp, or garbage)', async () => {
    const e = event('charge.succeeded');
    const body = JSON.stringify(e);
    await expectRejected(
      await post(svc.webhookUrl, body, { header: `v1=${v1(body, SECRET, now())}` }),
      'malformed_header',
      e.id,
    );
    await expectRejected(
      await post(svc.webhookUrl, body, { header: 'this is not a signature' }),
      'malformed_header',
      e.id,
    );
  });

  it('rejects a header with only a v0 signature', async () => {
    const e = event('charge.succeeded');
    const body = JSON.stringify(e);
    const t = now();
    await expectRejected(
      await post(svc.webhookUrl, body, { header: `t=${t},v0=${v1(body, SECRET, t)}` }),
      'no_v1_signature',
      e.id,
    );
  });

  it('rejects a signature made with the wrong secret', async () => {
    const e = event('charge.succeeded');
    await expectRejected(
      await post(svc.webhookUrl, e, { secret: 'whsec_not_the_right_one' }),
      'signature_mismatch',
      e.id,
    );
  });

  it('rejects a body changed after signing', async () => {
    const e = event('charge.succeeded');
    const header = signPayload(JSON.stringify(e), SECRET);
    await expectRejected(
      await post(svc.webhookUrl, JSON.stringify({ ...e, livemode: true }), { header }),
      'signature_mismatch',
      e.id,
    );
  });

  it('rejects an expired timestamp (older than the 300 s tolerance) and accepts one inside it', async () => {
    const e = event('charge.succeeded');
    await expectRejected(
      await post(svc.webhookUrl, e, { timestamp: now() - 301 }),
      'timestamp_outside_tolerance',
      e.id,
    );
    expect((await post(svc.webhookUrl, e, { timestamp: now() - 250 })).status).toBe(200);
  });

  it('rejects a timestamp further ahead than the tolerance, and accepts clock skew inside it (60 s ahead)', async () => {
    const e = event('charge.succeeded');
    await expectRejected(
      await post(svc.webhookUrl, e, { timestamp: now() + 1_000_000 }),
      'timestamp_outside_tolerance',
      e.id,
    );
    await expectRejected(
      await post(svc.webhookUrl, e, { timestamp: now() + 330 }),
      'timestamp_outside_tolerance',
      e.id,
    );
    expect((await post(svc.webhookUrl, e, { timestamp: now() + 60 })).status).toBe(200);
  });

  it('verifies over the raw bytes: a correctly signed body with invalid UTF-8 passes, then is refused as not JSON', async () => {
    const e = event('charge.succeeded');
    const [head, tail] = JSON.stringify({ ...e, description: 'SPLIT' }).split('SPLIT') as [string, string];
    const body = Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(tail)]);
    const t = now();
    const sign = (secret: string) => createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
    const send = (secret: string) =>
      rawPost(svc.webhookUrl, body, [
        ['content-type', 'application/json'],
        ['stripe-signature', `t=${t},v1=${sign(secret)}`],
      ]);

    const signed = await send(SECRET);
    expect(signed.status).toBe(400);
    expect(signed.json()).toMatchObject({ error: 'invalid_json', message: expect.stringMatching(/not valid UTF-8/) });
    expect(await svc.service.store.getEvent(e.id)).toBeUndefined();

    const wrong = await send('whsec_not_the_right_one');
    await expectRejected({ status: wrong.status, body: wrong.json() }, 'signature_mismatch', e.id);
  });

  it('accepts a valid v1 next to an extra bogus v1, and rejects bogus ones alone', async () => {
    const e = event('invoice.paid');
    const body = JSON.stringify(e);
    const t = now();
    const bogus = 'f'.repeat(64);
    expect((await post(svc.webhookUrl, body, { header: `t=${t},v1=${bogus},v1=${v1(body, SECRET, t)}` })).status).toBe(
      200,
    );
    const other = event('invoice.paid');
    await expectRejected(
      await post(svc.webhookUrl, JSON.stringify(other), { header: `t=${t},v1=${bogus},v1=${'0'.repeat(64)}` }),
      'signature_mismatch',
      other.id,
    );
  });

  it('accepts events signed with any of the rotated secrets', async () => {
    const a = event('charge.succeeded');
    const b = event('charge.succeeded');
    expect((await post(rotated.webhookUrl, a, { secret: SECRET })).status).toBe(200);
    expect((await post(rotated.webhookUrl, b, { secret: SECRET_2 })).status).toBe(200);
    // Stripe signs with both secrets while a rotation overlaps: one header, two v1 values.
    const c = event('charge.succeeded');
    const body = JSON.stringify(c);
    const t = now();
    expect(
      (
        await post(rotated.webhookUrl, body, {
          header: `t=${t},v1=${v1(body, 'whsec_old', t)},v1=${v1(body, SECRET_2, t)}`,
        })
      ).status,
    ).toBe(200);
    const d = event('charge.succeeded');
    expect((await post(rotated.webhookUrl, d, { secret: 'whsec_retired' })).status).toBe(400);
  });

  it('rejects an empty body', async () => {
    const res = await post(svc.webhookUrl, '', { header: `t=${now()},v1=${v1('', SECRET, now())}` });
    await expectRejected(res, 'empty_payload');
  });

  it('rejects two Stripe-Signature header lines', async () => {
    const e = event('charge.succeeded');
    const body = JSON.stringify(e);
    const good = signPayload(body, SECRET);
    const res = await rawPost(svc.webhookUrl, body, [
      ['content-type', 'application/json'],
      ['stripe-signature', good],
      ['Stripe-Signature', good],
    ]);
    await expectRejected({ status: res.status, body: res.json() }, 'duplicate_header', e.id);
  });

  it('answers 400 invalid_json for bad JSON under a valid signature, and invalid_event for JSON that is no event', async () => {
    const bad = '{"id": "evt_123", "type": ';
    const res = await post(svc.webhookUrl, bad);
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    const notEvent = await post(svc.webhookUrl, JSON.stringify({ hello: 'world' }));
    expect(notEvent).toMatchObject({ status: 400, body: { error: 'invalid_event' } });
  });

  it('answers 413 to a body over the limit, by Content-Length, without reading it', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const res = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      const u = new URL(svc.webhookUrl);
      const req = http.request({
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-length': big.length, 'stripe-signature': 't=1,v1=00' },
      });
      let sent = 0;
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body, sent }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      });
      // Send only the first 64 KiB of the declared 2 MiB: the answer must come without the rest.
      sent = 65536;
      req.write(big.subarray(0, sent));
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers 413 to a chunked body that grows past the limit, and stops reading', async () => {
    const res = await new Promise<{ status: number; body: string; connection: string | undefined }>(
      (resolve, reject) => {
        const u = new URL(svc.webhookUrl);
        const req = http.request({
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: { 'transfer-encoding': 'chunked', 'stripe-signature': 't=1,v1=00' },
        });
        req.on('response', (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, connection: r.headers.connection }));
          clearInterval(timer);
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
        });
        // Keep sending 16 KiB chunks (up to 1 MiB): the 413 arrives once 64 KiB have gone past.
        let chunks = 0;
        const timer = setInterval(() => {
          if (++chunks > 64) {
            clearInterval(timer);
            req.end();
            return;
          }
          req.write(Buffer.alloc(16384, 'b'));
        }, 2);
      },
    );
    expect(res.status).toBe(413);
    expect(res.connection).toBe('close');
  });

  it('counts every rejection by reason, and as signature errors', async () => {
    const text = await scrape(svc.internalUrl);
    const reasons = [
      'missing_header',
      'malformed_header',
      'no_v1_signature',
      'signature_mismatch',
      'timestamp_outside_tolerance',
      'empty_payload',
      'duplicate_header',
    ];
    for (const reason of reasons)
      expect(sample(text, 'webhook_signature_failures_total', { reason }), reason).toBeGreaterThanOrEqual(1);
    const total = reasons.reduce((n, reason) => n + sample(text, 'webhook_signature_failures_total', { reason }), 0);
    expect(sample(text, 'webhook_errors_total', { type: 'signature' })).toBe(total);
    expect(sample(text, 'webhook_errors_total', { type: 'payload' })).toBe(3);
    expect(
      sample(text, 'webhook_requests_total', {
        method: 'POST',
        route: '/webhooks/stripe',
        status: '413',
        source: 'external',
      }),
    ).toBe(2);
  });
});

describe('other routes', () => {
  it('answers 405 for GET on the webhook route, 404 elsewhere, and bounds the route label', async () => {
    const get = await fetch(svc.webhookUrl);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    for (let i = 0; i < 5; i++) expect((await fetch(`${svc.url}/random-${i}`)).status).toBe(404);
    const text = await scrape(svc.internalUrl);
    expect(
      sample(text, 'webhook_requests_total', { method: 'GET', route: 'other', status: '404', source: 'external' }),
    ).toBe(5);
    expect(text).not.toContain('random-');
  });

  it('serves /healthz', async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves /readyz with each dependency checked, on the internal listener', async () => {
    const res = await fetch(`${svc.internalUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: { ok: true }, cache: { ok: true } } });
  });

  it('keeps /metrics and /readyz off the public listener, and the webhook route off the internal one', async () => {
    expect(svc.internalUrl).not.toBe(svc.url);
    for (const path of ['/metrics', '/readyz']) {
      const pub = await fetch(`${svc.url}${path}`);
      expect(pub.status, `public ${path}`).toBe(404);
      expect(await pub.text()).not.toContain('webhook_');
      expect((await fetch(`${svc.internalUrl}${path}`)).status, `internal ${path}`).toBe(200);
    }
    expect((await fetch(`${svc.internalUrl}/healthz`)).status).toBe(200);
    const e = event('charge.succeeded');
    const internal = await post(`${svc.internalUrl}/webhooks/stripe`, e);
    expect(internal.status).toBe(404);
    expect(await svc.service.store.getEvent(e.id)).toBeUndefined();
  });
});
