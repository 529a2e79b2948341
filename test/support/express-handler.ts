// Your own Stripe webhook handler (Express), instrumented with prom-client so that wmon's alerts, dashboards,
// `wmon metrics` and `wmon report` work for it. Its names start with payments_, mapped onto the contract's
// webhook_ names by `handler.metricsPrefix: payments_` in wmon.yaml.
import express, { type Express } from 'express';
import client from 'prom-client';

export function instrumentedApp(handleEvent: (body: Buffer) => Promise<void>): Express {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'payments_requests_total',
    help: 'HTTP requests handled, by method, route and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const errors = new client.Counter({
    name: 'payments_errors_total',
    help: 'Requests that failed, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'payments_request_duration_seconds',
    help: 'Request duration in seconds, by route and status code.',
    labelNames: ['route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const processed = new client.Counter({
    name: 'payments_events_processed_total',
    help: 'Stripe events processed, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });

  const app = express();
  app.post('/webhooks/stripe', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const stop = duration.startTimer({ route: '/webhooks/stripe' });
    let status = 200;
    try {
      await handleEvent(req.body as Buffer);
      processed.inc({ outcome: 'success' });
      res.json({ received: true });
    } catch {
      status = 500;
      errors.inc({ type: 'processing' });
      processed.inc({ outcome: 'failed' });
      res.status(500).json({ error: 'processing failed' });
    }
    requests.inc({ method: 'POST', route: '/webhooks/stripe', status: String(status) });
    stop({ status: String(status) });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
