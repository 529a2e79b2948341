/**
 * The /metrics exposition: built from the contract's list, every name and label value present,
 * promtool-clean on a real scrape, labels bounded, process gauges sensible.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  REPLICA_LABEL,
  probeEvent,
  READINESS_CHECKS,
  READINESS_STATUSES,
  REQUEST_DURATION_BUCKETS,
  ROUTES,
  SERVICE_METRICS,
  type MetricSpec,
  type ReadinessBody,
} from '@wmon/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLimitBytes } from '../src/metrics.js';
import { TypeLabeler, MAX_TYPE_LABELS } from '../src/webhook/event.js';
import { event, post, sample, scrape, startService, type Running } from './helpers/service.js';

const REPO = join(import.meta.dirname, '..', '..');

/** promtool from the repo's .cache/bin (scripts/prom-tools.sh puts it there), or PATH; fetched if missing. */
function findPromtool(): string {
  const cached = join(REPO, '.cache', 'bin', 'promtool');
  if (existsSync(cached)) return cached;
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  const dir = execFileSync(join(REPO, 'scripts', 'prom-tools.sh'), { encoding: 'utf8', timeout: 300_000 })
    .trim()
    .split('\n')
    .pop()!;
  const fetched = join(dir, 'promtool');
  if (!existsSync(fetched)) throw new Error(`promtool not found (looked in ${cached}, PATH, and ${dir})`);
  return fetched;
}

let svc: Running;
let text: string;

beforeAll(async () => {
  svc = await startService({ REPLICA: 'replica-7' });
  await post(svc.webhookUrl, event('charge.succeeded'));
  await post(svc.webhookUrl, event('invoice.paid', { customer: 'cus_metrics' }));
  await post(svc.webhookUrl, event('charge.succeeded'), { secret: 'whsec_wrong' });
  await post(svc.webhookUrl, event('charge.succeeded', {}, { type: 'Robert"); DROP TABLE events;--' }));
  await post(svc.webhookUrl, event('charge.succeeded', {}, { type: 'nonsense_family.created' }));
  await fetch(`${svc.url}/nope`);
  // wmon check --probe's event, sent twice (the second time a duplicate).
  const probe = probeEvent();
  await post(svc.webhookUrl, probe);
  await post(svc.webhookUrl, probe);
  await svc.service.processor.idle(5000);
  text = await scrape(svc.internalUrl);
});
afterAll(async () => {
  await svc?.stop();
});

describe('/metrics', () => {
  it('passes promtool check metrics with nothing to report', () => {
    const promtool = findPromtool();
    const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('exports every metric of the shared list, with its type, help and label names', () => {
    for (const spec of Object.values(SERVICE_METRICS)) {
      expect(text, spec.name).toContain(`# TYPE ${spec.name} ${spec.type}\n`);
      expect(text, spec.name).toContain(`# HELP ${spec.name} ${spec.help}\n`);
      const sampleName = spec.type === 'histogram' ? `${spec.name}_bucket` : spec.name;
      const line = text.split('\n').find((l) => l.startsWith(sampleName + '{') || l.startsWith(sampleName + ' '));
      expect(line, `a sample of ${spec.name}`).toBeDefined();
      const labels = [...(line!.match(/\{(.*)\}/)?.[1] ?? '').matchAll(/(\w+)="/g)]
        .map((m) => m[1])
        .filter((l) => l !== 'le');
      // Every series carries the replica label (REPLICA_LABEL: prom-client's default labels) besides its own.
      expect(labels.sort(), spec.name).toEqual([...spec.labels, REPLICA_LABEL].sort());
    }
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples.filter((l) => !l.includes(`${REPLICA_LABEL}="replica-7"`))).toEqual([]);
    // Nothing outside the list.
    const names = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]),
    );
    expect([...names].sort()).toEqual(
      Object.values(SERVICE_METRICS)
        .map((s) => s.name)
        .sort(),
    );
  });

  it('exposes every label value the contract lists, and no value outside it', async () => {
    // Traffic that reaches every route and method (a method the service does not know is `other`) ...
    for (const method of ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
      await fetch(svc.webhookUrl, { method });
    }
    for (const route of [ROUTES.health, ROUTES.ready, ROUTES.metrics]) await fetch(`${svc.internalUrl}${route}`);
    await fetch(`${svc.url}${ROUTES.reachability}`);
    // ... and the store operations no request makes here (tools and tests read an event's state; the
    // reconcile with Stripe compares ids).
    await svc.service.store.getEvent('evt_contract_test');
    await svc.service.store.knownIds(['evt_contract_test']);
    const exposition = await scrape(svc.internalUrl);

    // SQLite creates its schema before the timed calls; PostgreSQL times it (`migrate`).
    const notOnSqlite: Record<string, readonly string[]> = {
      'webhook_db_query_duration_seconds{operation}': ['migrate', 'renew_leases'],
    };
    const seen = labelValues(exposition);
    for (const spec of Object.values(SERVICE_METRICS) as MetricSpec[]) {
      for (const [label, values] of Object.entries(spec.values ?? {})) {
        const key = `${spec.name}{${label}}`;
        const exposed = [...(seen.get(key) ?? [])].sort();
        expect(exposed, `${key}: values outside the contract`).toEqual(exposed.filter((v) => values.includes(v)));
        const expected = values.filter((v) => !(notOnSqlite[key] ?? []).includes(v));
        expect(exposed, `${key}: values the contract lists but the service does not expose`).toEqual(
          expect.arrayContaining(expected),
        );
      }
    }
  });

  it("answers /readyz with the contract's body: its status words and its dependency checks", async () => {
    const res = await fetch(`${svc.internalUrl}${ROUTES.ready}`);
    const body = (await res.json()) as ReadinessBody;
    expect(res.status).toBe(200);
    expect(READINESS_STATUSES).toContain(body.status);
    expect(body).toEqual({ status: 'ok', checks: Object.fromEntries(READINESS_CHECKS.map((c) => [c, { ok: true }])) });
  });

  it('uses the shared request-duration buckets', () => {
    for (const le of REQUEST_DURATION_BUCKETS) {
      expect(text).toContain(
        `webhook_request_duration_seconds_bucket{le="${le}",service_replica="replica-7",route="/webhooks/stripe",status="200",source="external"}`,
      );
    }
  });

  it('counts wmon\'s probe apart (source="probe"): its request, its event, its duplicate, never as business traffic', () => {
    const stripe = { route: ROUTES.webhook, status: '200', source: 'external' };
    // The two accepted fixtures and the two accepted odd types; the probe's two answers are apart.
    expect(sample(text, 'webhook_requests_total', { ...stripe, method: 'POST' })).toBe(4);
    expect(sample(text, 'webhook_requests_total', { ...stripe, method: 'POST', source: 'probe' })).toBe(2);
    expect(sample(text, 'webhook_request_duration_seconds_count', { ...stripe, source: 'probe' })).toBe(2);
    expect(sample(text, 'webhook_events_by_type_total', { type: 'balance.available', source: 'probe' })).toBe(1);
    expect(text).not.toMatch(/webhook_events_by_type_total\{[^}]*type="balance\.available",source="external"/);
    expect(sample(text, 'webhook_events_processed_total', { outcome: 'success', source: 'probe' })).toBe(1);
    expect(sample(text, 'webhook_events_processed_total', { outcome: 'duplicate', source: 'probe' })).toBe(1);
    expect(sample(text, 'webhook_events_processed_total', { outcome: 'success', source: 'external' })).toBe(4);
    expect(sample(text, 'webhook_events_processed_total', { outcome: 'duplicate', source: 'external' })).toBe(0);
    // The delivery lag is Stripe's: the four new external events, not the probe.
    expect(sample(text, 'webhook_event_delivery_lag_seconds_count')).toBe(4);
    expect(
      sample(text, 'webhook_event_processing_duration_seconds_count', { type: 'balance.available', source: 'probe' }),
    ).toBe(1);
  });

  it('measures the delivery lag: an event created an hour ago lands above the 30-minute bucket', async () => {
    const lag = 'webhook_event_delivery_lag_seconds';
    const before = await scrape(svc.internalUrl);
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const late = event('payment_intent.succeeded', {}, { created: hourAgo });
    expect((await post(svc.webhookUrl, late)).status).toBe(200);
    const after = await scrape(svc.internalUrl);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta(`${lag}_count`)).toBe(1);
    expect(delta(`${lag}_bucket`, { le: '1800' })).toBe(0);
    expect(delta(`${lag}_bucket`, { le: '3600' })).toBe(0);
    expect(delta(`${lag}_bucket`, { le: '7200' })).toBe(1);
    expect(delta(`${lag}_sum`)).toBeGreaterThanOrEqual(3600);
    expect(delta(`${lag}_sum`)).toBeLessThan(3660);
    // The events posted before were created just then (whole seconds, so up to a second earlier).
    expect(sample(before, `${lag}_count`)).toBeGreaterThan(0);
    expect(sample(before, `${lag}_bucket`, { le: '5' })).toBe(sample(before, `${lag}_count`));
  });

  it('counts an event created after its acceptance (a clock ahead of ours) as no lag, and a duplicate not at all', async () => {
    const lag = 'webhook_event_delivery_lag_seconds';
    const before = await scrape(svc.internalUrl);
    const ahead = event('payment_intent.succeeded', {}, { created: Math.floor(Date.now() / 1000) + 600 });
    expect((await post(svc.webhookUrl, ahead)).status).toBe(200);
    expect((await post(svc.webhookUrl, ahead)).body).toMatchObject({ duplicate: true });
    const after = await scrape(svc.internalUrl);
    expect(sample(after, `${lag}_count`) - sample(before, `${lag}_count`)).toBe(1);
    expect(sample(after, `${lag}_bucket`, { le: '1' }) - sample(before, `${lag}_bucket`, { le: '1' })).toBe(1);
    expect(sample(after, `${lag}_sum`)).toBe(sample(before, `${lag}_sum`));
  });

  it('bounds the event type label: odd or unknown types are "other"', () => {
    expect(sample(text, 'webhook_events_by_type_total', { type: 'charge.succeeded', source: 'external' })).toBe(1);
    expect(sample(text, 'webhook_events_by_type_total', { type: 'other', source: 'external' })).toBe(2);
    expect(text).not.toContain('DROP TABLE');
    expect(text).not.toContain('nonsense_family');
    const labeler = new TypeLabeler();
    expect(labeler.label('customer.subscription.updated')).toBe('customer.subscription.updated');
    expect(labeler.label('charge.UPPER')).toBe('other');
    expect(labeler.label(`charge.${'x'.repeat(80)}`)).toBe('other');
    for (let i = 0; i < MAX_TYPE_LABELS + 50; i++)
      labeler.label(`charge.t${String.fromCharCode(97 + (i % 26))}${'_'.repeat(Math.floor(i / 26))}`);
    expect(labeler.label('charge.yet_another_new_one')).toBe('other');
  });

  it('reports process memory, CPU, the memory limit, and both dependencies up', () => {
    expect(sample(text, 'webhook_memory_usage_bytes', { kind: 'rss' })).toBeGreaterThan(10 * 1024 * 1024);
    expect(sample(text, 'webhook_memory_usage_bytes', { kind: 'heap_used' })).toBeGreaterThan(0);
    const limit = sample(text, 'webhook_memory_limit_bytes');
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThanOrEqual(os.totalmem());
    expect(sample(text, 'webhook_cpu_usage_percent')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'webhook_db_up')).toBe(1);
    expect(sample(text, 'webhook_cache_up')).toBe(1);
    expect(
      sample(text, 'webhook_db_connections', { state: 'idle' }) +
        sample(text, 'webhook_db_connections', { state: 'active' }),
    ).toBe(1);
  });
});

/** Each `name{label}` of the exposition (histograms by their `_count` series), with the values it takes. */
function labelValues(exposition: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const m = line.match(/^(\w+)\{(.*)\} \S+$/);
    if (!m || m[1]!.endsWith('_bucket') || m[1]!.endsWith('_sum')) continue;
    const name = m[1]!.replace(/_count$/, '');
    for (const [, label, value] of m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      const key = `${name}{${label}}`;
      if (!out.has(key)) out.set(key, new Set());
      out.get(key)!.add(value!);
    }
  }
  return out;
}

describe('memoryLimitBytes', () => {
  const files = (map: Record<string, string>) => (p: string) => {
    if (p in map) return map[p]!;
    throw new Error('ENOENT');
  };
  it('reads a cgroup v2 limit, nested or at the root', () => {
    expect(
      memoryLimitBytes(
        files({ '/proc/self/cgroup': '0::/app.slice/x\n', '/sys/fs/cgroup/app.slice/x/memory.max': '536870912\n' }),
      ),
    ).toBe(536870912);
    expect(memoryLimitBytes(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': '268435456' }))).toBe(
      268435456,
    );
  });
  it('treats "max" and v1 "unlimited" as the host memory', () => {
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory.max': 'max' }))).toBe(os.totalmem());
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBe(
      os.totalmem(),
    );
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824' }))).toBe(1073741824);
    expect(memoryLimitBytes(files({}))).toBe(os.totalmem());
  });
});
