/**
 * Notifications for real: on the stack `wmon init` starts on the real engine (Prometheus, Alertmanager and
 * node exporter at the versions CI runs, scripts/versions.env), a rendered rule fires on traffic the
 * webhook service really refuses, Prometheus sends it, and Alertmanager routes, groups, inhibits and
 * delivers it to an HTTP receiver.
 *
 * Slack is configured (so the severity routes are rendered, as they are for a user); its URL must be
 * https:// and cannot be stood in for here, so it points at a closed port, and the test adds a `webhook`
 * receiver to each rendered severity receiver, delivering to a small recording server in a container on
 * the stack's network. Everything else (routes, grouping, inhibition, rules, labels, annotations) is as
 * wmon renders it.
 *
 * The heartbeat is configured for real (notifications.heartbeat, its URL in a secret file that wmon mounts
 * into Alertmanager): the always-firing Watchdog reaches the recording server at /heartbeat, and nowhere else.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { probeEvent } from '@wmon/contract';

import { createAlertmanagerClient, type AlertmanagerClient } from '../../src/adapters/clients/index.js';
import { LABELS } from '../../src/core/model/container-types.js';
import { postSignedEvent } from '../../service/src/send.js';
import { wmon } from '../support/cli.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { e2eProject, TEST_IMAGES, type E2eProject } from './helpers.js';

interface RenderedRule {
  readonly alert: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** The body Alertmanager's webhook receiver posts (Alertmanager's documented webhook payload, version 4). */
interface Notification {
  readonly version: string;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupKey: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly externalURL: string;
  readonly alerts: ReadonlyArray<{
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    generatorURL: string;
  }>;
}

interface Received {
  readonly path: string;
  readonly body: Notification;
}

/** Records every POST (path and JSON body); GET answers the list. Runs in node:20-slim on the stack network. */
const RECEIVER = `
const got = [];
require('node:http').createServer((req, res) => {
  if (req.method !== 'POST') { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(got)); return; }
  let body = '';
  req.on('data', (c) => { if (body.length < 1e6) body += c; });
  req.on('end', () => { try { got.push({ path: req.url, body: JSON.parse(body) }); } catch { got.push({ path: req.url, body: null }); } res.end('ok'); });
}).listen(8080);
`;

const SEVERITIES = ['critical', 'warning', 'info'] as const;

let p: E2eProject | undefined;
let am: AlertmanagerClient;
let receiverUrl: string;
let rules: Map<string, RenderedRule>;

const everything = async (): Promise<Received[]> => (await (await fetch(receiverUrl)).json()) as Received[];
/** What the severity receivers got (the heartbeat's deliveries left out). */
const received = async (): Promise<Received[]> => (await everything()).filter((r) => r.path !== '/heartbeat');
const deliveriesOf = (all: readonly Received[], alertname: string) =>
  all.filter((r) => r.body.alerts.some((a) => a.labels.alertname === alertname));

beforeAll(async () => {
  p = await e2eProject('notifications e2e');
  if (!p) return;
  // `for: 0s` so the alerts fire at the first evaluation that sees the errors.
  await p.writeConfig(`alerts:
  errorRatePercent: {critical: 10, warning: 5, criticalFor: 0s, warningFor: 0s}
  signatureFailuresPerSecond: {warning: 0.01, for: 0s}
notifications:
  slack:
    webhookUrl: {env: WMON_E2E_SLACK_URL}
    channel: '#alerts'
  heartbeat:
    url: {file: heartbeat-url}
`);
  await writeFile(path.join(p.dir, 'heartbeat-url'), 'http://receiver:8080/heartbeat\n');
  const env = { WMON_E2E_SLACK_URL: 'https://127.0.0.1:9/services/T000/B000/closed' };
  const r = await wmon(['init'], { cwd: p.dir, env, timeout: 900_000 });
  if (r.exitCode !== 0) throw new Error(`wmon init failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);

  // The recording receiver, on the stack's network as `receiver`, published on a loopback port for the test.
  const port = await freePort();
  const name = `${p.project}-receiver`;
  await p.runtime.createContainer(
    {
      name,
      component: 'receiver',
      image: TEST_IMAGES.nodeSlim,
      cmd: ['node', '-e', RECEIVER],
      user: 'node',
      env: {},
      ports: [{ containerPort: 8080, hostPort: port, hostIp: '127.0.0.1' }],
      volumes: [],
      binds: [],
      aliases: ['receiver'],
      labels: { [LABELS.project]: p.project, [LABELS.component]: 'receiver' },
      restartPolicy: 'no',
      dependsOn: [],
    },
    `${p.project}-net`,
  );
  await p.runtime.startContainer(name);
  receiverUrl = `http://127.0.0.1:${port}/`;
  await eventually('the receiver answers', async () => ((await fetch(receiverUrl)).ok ? true : undefined), {
    timeoutMs: 30_000,
  });

  // Each rendered severity receiver also delivers to the recording receiver; then Alertmanager reloads.
  const file = path.join(p.dir, '.wmon/alertmanager/alertmanager.yml');
  const config = parse(await readFile(file, 'utf8')) as { receivers: Array<Record<string, unknown>> };
  for (const receiver of config.receivers) {
    if ((SEVERITIES as readonly string[]).includes(String(receiver.name))) {
      receiver.webhook_configs = [{ url: `http://receiver:8080/${String(receiver.name)}`, send_resolved: false }];
    }
  }
  await writeFile(file, stringify(config));
  am = createAlertmanagerClient({ baseUrl: `http://127.0.0.1:${p.ports.alertmanager}` });
  await am.reload();

  const ruleFile = parse(await readFile(path.join(p.dir, '.wmon/prometheus/rules/webhook-alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: RenderedRule[] }>;
  };
  rules = new Map(ruleFile.groups.flatMap((g) => g.rules).map((rule) => [rule.alert, rule]));
}, 900_000);

afterAll(() => p?.cleanup(), 180_000);

describe.sequential('notifications on a real engine', () => {
  it('routes the rendered severities to receivers that deliver to the webhook receiver', async ({ skip }) => {
    if (!p) return skip();
    // Alertmanager 0.28 prints a webhook's URL as <secret>: count the webhook integrations of the loaded config.
    const loaded = parse((await am.status()).configYaml) as {
      receivers: Array<{ name: string; webhook_configs?: unknown[] }>;
      route: { routes: unknown[] };
    };
    expect(loaded.receivers.filter((r) => r.webhook_configs?.length === 1).map((r) => r.name)).toEqual([
      'heartbeat',
      ...SEVERITIES,
    ]);
    // Watchdog's route to the heartbeat, then one per severity.
    expect(loaded.route.routes).toHaveLength(4);
    expect(await received()).toEqual([]);
  });

  it('delivers a firing critical alert with the rendered grouping, labels and annotations, and inhibits its warning', async ({
    skip,
  }) => {
    if (!p) return skip();
    const secret = (await readFile(path.join(p.dir, '.wmon/stripe-webhook-secret'), 'utf8')).trim();
    const webhook = `http://127.0.0.1:${p.ports.webhook}/webhooks/stripe`;
    // Only refused deliveries (a wrong signature): the error rate is 100 %, over both thresholds, and the
    // signature failures over theirs. Rounds 3 s apart so consecutive scrapes (every 2 s) see increases.
    for (let round = 0; round < 5; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 3000));
      for (let i = 0; i < 5; i++) {
        const r = await postSignedEvent({
          url: webhook,
          secret,
          payload: JSON.stringify(probeEvent()),
          badSignature: true,
        });
        expect(r.status).toBe(400);
      }
    }

    // The critical goes to the critical receiver (group_wait 10 s), grouped by alertname and severity.
    const critical = await eventually(
      'the critical alert delivered',
      async () => {
        const got = deliveriesOf(await received(), 'WebhookHighErrorRate');
        return got.length > 0 ? got[0] : undefined;
      },
      { timeoutMs: 150_000 },
    );
    const rule = rules.get('WebhookHighErrorRate')!;
    expect(critical.path).toBe('/critical');
    expect(critical.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'critical',
      groupLabels: { alertname: 'WebhookHighErrorRate', severity: 'critical' },
      externalURL: `http://127.0.0.1:${p.ports.alertmanager}`,
    });
    expect(critical.body.groupKey).toContain('severity="critical"');
    expect(critical.body.alerts).toHaveLength(1);
    const alert = critical.body.alerts[0]!;
    expect(alert.status).toBe('firing');
    // The rule's labels, the series' job and the external labels Prometheus adds.
    expect(alert.labels).toEqual({
      alertname: 'WebhookHighErrorRate',
      ...rule.labels,
      job: 'webhook',
      project: p.project,
      environment: 'development',
    });
    expect(Object.keys(alert.annotations).sort()).toEqual(Object.keys(rule.annotations).sort());
    expect(alert.annotations.runbook_url).toBe(rule.annotations.runbook_url);
    // Every request was refused; the rates of two counters born at different moments need not divide to 1.
    expect(alert.annotations.summary).toMatch(/^Webhook error rate is \d+(\.\d+)?% on webhook$/);
    expect(alert.annotations.description).toMatch(
      /^Errors per webhook request on webhook have been at or above the critical threshold of 10% for 0s \(now \d+(\.\d+)?% over 5m\)\./,
    );
    expect(alert.generatorURL).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${p.ports.prometheus}/.*g0\\.expr=`));

    // A warning of another signal is delivered to the warning receiver (group_wait 30 s) …
    const other = await eventually(
      'the signature warning delivered',
      async () => {
        const got = deliveriesOf(await received(), 'WebhookSignatureFailureSpike');
        return got.length > 0 ? got[0] : undefined;
      },
      { timeoutMs: 150_000 },
    );
    expect(other.path).toBe('/warning');
    expect(other.body).toMatchObject({
      receiver: 'warning',
      groupLabels: { alertname: 'WebhookSignatureFailureSpike', severity: 'warning' },
    });
    expect(other.body.alerts[0]!.labels).toMatchObject({ severity: 'warning', signal: 'signatures', job: 'webhook' });

    // … while the warning of the same signal as the firing critical is inhibited by it: Alertmanager holds it
    // suppressed, naming the critical, and it was never delivered (its group would have been flushed with
    // the other warning's).
    const [criticalInAm] = await am.alerts({ labels: { alertname: 'WebhookHighErrorRate' } });
    const [inhibited] = await am.alerts({ labels: { alertname: 'WebhookErrorRateElevated' } });
    expect(inhibited, 'Prometheus sent the warning of the same signal').toBeDefined();
    expect(inhibited!.labels).toMatchObject({ severity: 'warning', signal: 'errors', job: 'webhook' });
    expect(inhibited!.state).toBe('suppressed');
    expect(inhibited!.inhibitedBy).toEqual([criticalInAm!.fingerprint]);
    const all = await received();
    expect(deliveriesOf(all, 'WebhookErrorRateElevated')).toEqual([]);
    // Nothing went to the info route, and Alertmanager delivered nothing else.
    expect(all.every((r) => r.path === '/critical' || r.path === '/warning')).toBe(true);
  }, 400_000);

  it('delivers the always-firing Watchdog to the heartbeat URL read from its secret file, again and again, and nowhere else', async ({
    skip,
  }) => {
    if (!p) return skip();
    const beats = await eventually(
      'two Watchdog deliveries at /heartbeat (repeat_interval 1m)',
      async () => {
        const got = (await everything()).filter((r) => r.path === '/heartbeat');
        return got.length >= 2 ? got : undefined;
      },
      { timeoutMs: 240_000 },
    );
    for (const beat of beats) {
      expect(beat.body).toMatchObject({ receiver: 'heartbeat', status: 'firing' });
      expect(beat.body.alerts.map((a) => a.labels.alertname)).toEqual(['Watchdog']);
      expect(beat.body.alerts[0]!.labels).toMatchObject({ severity: 'none', signal: 'heartbeat' });
    }
    expect(deliveriesOf(await received(), 'Watchdog')).toEqual([]);
  }, 300_000);
});
