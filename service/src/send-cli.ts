/**
 * npm run send -- --url http://127.0.0.1:8080/webhooks/stripe --secret-file .wmon/stripe-webhook-secret [--count N] [--type T]
 *                 [--bad-signature] [--duplicate] [--concurrency N] [--customers N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ROUTES } from '@wmon/contract';
import { loadFixtures, newEventId, postSignedEvent, type StripeEventFixture } from './send.js';

const DEFAULT_URL = `http://127.0.0.1:8080${ROUTES.webhook}`;

const HELP = `Sign and post example Stripe events to a webhook endpoint.

Options:
  --url URL          endpoint (default ${DEFAULT_URL})
  --secret-file PATH file holding the signing secret (e.g. .wmon/stripe-webhook-secret)
  --secret SECRET    signing secret (npm prints the command line: prefer --secret-file or $STRIPE_WEBHOOK_SECRET)
                     (default: the first of $STRIPE_WEBHOOK_SECRET)
  --count N          events to send (default 1)
  --type TYPE        only this event type (default: cycle through all examples)
  --bad-signature    sign with a wrong secret (expect 400)
  --duplicate        send the same event id every time (expect one new, then duplicates)
  --concurrency N    requests in flight at once (default 1)
  --customers N      give each object one of N demo customers, so customer records build up (default 0: as in the example)
  --quiet            only the summary
Examples available: `;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: DEFAULT_URL },
      secret: { type: 'string' },
      'secret-file': { type: 'string' },
      count: { type: 'string', default: '1' },
      type: { type: 'string' },
      'bad-signature': { type: 'boolean', default: false },
      duplicate: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '1' },
      customers: { type: 'string', default: '0' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const fixtures = loadFixtures();
  if (values.help) {
    console.log(HELP + [...fixtures.keys()].join(', '));
    return 0;
  }
  let fromFile: string | undefined;
  if (values['secret-file']) {
    try {
      // A secret file is a line, not a document: refuse anything large rather than read it.
      fromFile = readFileSync(values['secret-file'], 'utf8').slice(0, 4096).split(/[\n,]/)[0]?.trim();
    } catch (error) {
      console.error(`send: cannot read --secret-file ${values['secret-file']}: ${(error as Error).message}`);
      return 2;
    }
  }
  const secret = values.secret ?? fromFile ?? process.env.STRIPE_WEBHOOK_SECRET?.split(',')[0]?.trim();
  if (!secret) {
    console.error('send: --secret-file, STRIPE_WEBHOOK_SECRET or --secret is required');
    return 2;
  }
  if (values.secret && process.env.npm_lifecycle_event === 'send') {
    // npm has already printed the command line, secret included: say so once, and how to avoid it.
    console.error('send: npm printed --secret in its command line; use --secret-file or STRIPE_WEBHOOK_SECRET instead');
  }
  const count = Number(values.count);
  const concurrency = Number(values.concurrency);
  const customers = Number(values.customers);
  if (![count, concurrency, customers].every((n) => Number.isInteger(n) && n >= 0) || count < 1 || concurrency < 1) {
    console.error('send: --count and --concurrency must be positive whole numbers, --customers a whole number');
    return 2;
  }
  let templates: StripeEventFixture[];
  if (values.type) {
    const t = fixtures.get(values.type);
    if (!t) {
      console.error(`send: no example for ${values.type}; available: ${[...fixtures.keys()].join(', ')}`);
      return 2;
    }
    templates = [t];
  } else {
    templates = [...fixtures.values()];
  }

  const fixedId = newEventId();
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const template = templates[i % templates.length]!;
      const object = { ...template.data.object };
      if (customers > 0) object.customer = `cus_demo${String((i % customers) + 1).padStart(4, '0')}`;
      const event = {
        ...template,
        id: values.duplicate ? fixedId : newEventId(),
        created: Math.floor(Date.now() / 1000),
        data: { ...template.data, object },
      };
      try {
        const r = await postSignedEvent({
          url: values.url,
          secret,
          payload: JSON.stringify(event),
          badSignature: values['bad-signature'],
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        latencies.push(r.ms);
        if (!values.quiet) console.log(`${r.status} ${event.type} ${event.id} ${r.ms.toFixed(1)}ms ${r.body}`);
      } catch (err) {
        failures++;
        if (!values.quiet) console.log(`ERR ${event.type} ${event.id} ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length
      ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1)
      : '-';
  const byStatus = [...statuses]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  console.log(
    `sent ${count}: ${byStatus || 'none answered'}${failures ? `, ${failures} network errors` : ''}; p50 ${pct(50)} ms, p99 ${pct(99)} ms`,
  );
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
