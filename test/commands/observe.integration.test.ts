/**
 * `wmon check`, `wmon metrics` and `wmon report`, run as the built binary against the stack wmon renders,
 * running for real as processes (test/helpers/local-stack.ts): Debian's Prometheus 2.42 and Alertmanager
 * 0.25 with the rendered configuration, node exporter, and the webhook service receiving signed traffic.
 * The container checks are left out (--skip engine): test/e2e/observe.e2e.test.ts runs them on the engine.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { XMLValidator } from 'fast-xml-parser';
import { parse as parseJunit } from 'junit2json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPrometheusClient, type PrometheusClient } from '../../src/adapters/clients/index.js';
import { jsonOutput, wmon, type CliResult } from '../support/cli.js';
import { startLocalStack, WEBHOOK_SECRET, type LocalStack } from '../support/local-stack.js';
import {
  checkJsonSchema,
  metricsJsonSchema,
  reportJsonSchema,
  expectCountsOf,
  promSum,
  sendTraffic,
  targetsUp,
  trafficScraped,
  type SentTraffic,
} from '../support/observe.js';
import { eventually } from '../support/wait.js';

let stack: LocalStack;
let prom: PrometheusClient;
let traffic: SentTraffic;

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return wmon([...args, '--config', stack.configFile], { cwd: stack.dir, env: { GITHUB_STEP_SUMMARY: '', ...env } });
}

beforeAll(async () => {
  stack = await startLocalStack();
  prom = createPrometheusClient({ baseUrl: stack.urls.prometheus });
  await targetsUp(prom, 4);
}, 120_000);

afterAll(async () => {
  await stack?.stopAll();
});

describe('wmon check on a healthy stack', () => {
  it('exits 0, with every check OK and no drift from the rendered configuration', async () => {
    const started = performance.now();
    const human = await cli(['check', '--skip', 'engine']);
    const wallMs = Math.round(performance.now() - started);
    console.log(`wmon check (healthy, engine skipped): ${wallMs} ms wall time\n${human.stdout}`);
    expect(human.exitCode, human.stdout + human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^WMON OK - \d+ checks passed/);
    expect(human.stdout).toMatch(/webhook\s+target up\s+OK\s+target webhook:9464/);

    const r = jsonOutput(await cli(['check', '--skip', 'engine', '--json']), checkJsonSchema);
    expect(r.status).toBe('OK');
    expect(r.exitCode).toBe(0);
    const ids = r.checks.map((c) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'ready.prometheus',
        'ready.alertmanager',
        'ready.nodeExporter',
        'ready.webhook',
        'targets.webhook/webhook:9464',
        'targets.prometheus/localhost:9090',
        'rules',
        'alerting',
        // The Watchdog always fires (it proves that alerts flow): its row stands for the alerts check.
        'alerts.Watchdog',
        'drift.prometheus',
        'drift.alertmanager',
      ]),
    );
    expect(ids.some((id) => id.startsWith('containers.'))).toBe(false);
    expect(r.checks.find((c) => c.id === 'drift.prometheus')?.detail).toMatch(/are what wmon.yaml renders/);
  });

  it('prints nothing with --quiet', async () => {
    const r = await cli(['check', '--skip', 'engine', '--quiet']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('wmon metrics after signed traffic', () => {
  it('shows exact counts and non-zero figures', async () => {
    traffic = await sendTraffic(`${stack.urls.webhook}/webhooks/stripe`, WEBHOOK_SECRET, { batches: 3, pauseMs: 2500 });
    const requests = traffic.valid + traffic.duplicates + traffic.badSignatures;
    await trafficScraped(prom, traffic);

    const r = await cli(['metrics', '--json', '--window', '5m']);
    const m = jsonOutput(r, metricsJsonSchema);
    expectCountsOf(m, traffic);

    expect(m.figures.requestRate.value).toBeGreaterThan(0);
    expect(m.figures.errorRate.value).toBeGreaterThan(0);
    // 3 signature failures in 11 requests: far above the 10 % critical threshold.
    expect(m.figures.errorRate.status).toBe('critical');
    expect(m.figures.errorRate.thresholds).toEqual({ warning: 5, critical: 10 });
    expect(m.figures.latencyP95.value).toBeGreaterThan(0);
    expect(m.figures.signatureFailureRate.value).toBeGreaterThan(0);
    expect(m.figures.memoryRss.value).toBeGreaterThan(10 * 1024 * 1024);
    expect(m.figures.memoryPercent.status).toBe('ok');
    expect(m.figures.dbUp).toMatchObject({ value: 1, status: 'ok' });
    expect(m.figures.cacheUp).toMatchObject({ value: 1, status: 'ok' });
    expect(m.figures.queueDeadLetter).toMatchObject({ value: 0, status: 'ok' });
    expect(m.status).toBe('critical');

    const human = await cli(['metrics', '--window', '5m']);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain(
      `requests            ${requests} (200: ${traffic.valid + traffic.duplicates}, 400: ${traffic.badSignatures})`,
    );
    expect(human.stdout).toMatch(/Error rate\s+[\d.]+ %\s+warning ≥ 5 %, critical ≥ 10 %/);
  });

  it('rejects a window shorter than two scrapes as bad usage', async () => {
    const r = await cli(['metrics', '--window', '1s']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/shorter than two scrape intervals/);
  });
});

describe('wmon check --probe', () => {
  it('sends a signed event and sees Prometheus count it', async () => {
    const r = jsonOutput(await cli(['check', '--skip', 'engine', '--probe', '--json']), checkJsonSchema);
    const probe = r.checks.find((c) => c.id === 'probe');
    expect(probe?.status, probe?.detail).toBe('OK');
    expect(probe?.detail).toMatch(
      /probe event evt_wmonprobe\w+ accepted in \d+ ms, processed, and counted by Prometheus/,
    );
    // The error-rate alert is pending at most (its `for` is 5m): the check is still OK.
    expect(r.status).toBe('OK');

    // Prometheus has the probe (it confirmed it), counted apart: wmon metrics counts exactly the traffic still,
    // no probe request, event or event type (balance.available) among them.
    expect(await promSum(prom, 'sum(webhook_events_by_type_total{source="probe", type="balance.available"})')).toBe(1);
    const m = jsonOutput(await cli(['metrics', '--json', '--window', '15m']), metricsJsonSchema);
    expectCountsOf(m, traffic);
    expect(m.counts.events.byType).not.toHaveProperty('balance.available');
  });

  it('says CRITICAL when the service refuses the signature', async () => {
    const secretFile = path.join(stack.stackDir, 'stripe-webhook-secret');
    await writeFile(secretFile, 'whsec_not_the_services_secret\n');
    try {
      const r = jsonOutput(await cli(['check', '--skip', 'engine', '--probe', '--json']), checkJsonSchema);
      const probe = r.checks.find((c) => c.id === 'probe');
      expect(probe?.status).toBe('CRITICAL');
      expect(probe?.detail).toMatch(/HTTP 400 .*does not accept the stack's signing secret/);
      expect(r.exitCode).toBe(2);
    } finally {
      await writeFile(secretFile, `${WEBHOOK_SECRET}\n`);
    }
  });
});

describe('wmon report', () => {
  it('writes JSON in the documented shape, JUnit a parser accepts, Markdown, HTML and the step summary', async () => {
    // The test before sent a probe signed with the wrong secret: counted once Prometheus has scraped since.
    const report = await eventually(
      'the report counting the wrongly signed probe',
      async () => {
        const r = await cli(['report', '--window', '1h', '--format', 'json', '--fail-on', 'never']);
        expect(r.exitCode, r.stderr).toBe(0);
        const got = jsonOutput(r, reportJsonSchema);
        return got.signatureFailures.total === traffic.badSignatures + 1 ? got : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    const requests = traffic.valid + traffic.duplicates + traffic.badSignatures;
    expect(report.requests.total).toBeGreaterThanOrEqual(requests);
    // The traffic's bad signatures, and the probe signed with the wrong secret above.
    expect(report.signatureFailures.total).toBe(traffic.badSignatures + 1);
    expect(report.availability.webhookPercent).toBe(100);
    expect(report.events.byType.map((e) => e.type)).toEqual(expect.arrayContaining(Object.keys(traffic.byType)));
    // wmon check --probe's event (sent above) is not business traffic: not in the report's events or requests.
    expect(report.events.byType.map((e) => e.type)).not.toContain('balance.available');
    expect(report.events.received).toBe(traffic.valid);
    expect(report.requests.byStatus['200']).toBe(traffic.valid + traffic.duplicates);
    expect(report.requests.series.some(([, v]) => v !== null && v > 0)).toBe(true);
    // One test case per rendered alert but the Watchdog (29 rules, as the rules row says).
    expect(report.testCases.filter((c) => c.suite === 'alerts')).toHaveLength(28);
    expect(report.testCases.find((c) => c.id === 'slo.error-rate.critical')).toMatchObject({
      status: 'failed',
      severity: 'critical',
    });
    expect(report.verdict).toBe('critical');
    expect(report.exitCode).toBe(0);

    // --json gives the same document as --format json.
    const viaFlag = jsonOutput(
      await cli(['report', '--window', '1h', '--json', '--fail-on', 'never']),
      reportJsonSchema,
    );
    expect(viaFlag.testCases.map((c) => c.id)).toEqual(report.testCases.map((c) => c.id));

    const junitFile = path.join(stack.dir, 'out/wmon.xml');
    const summaryFile = path.join(stack.dir, 'summary.md');
    await writeFile(summaryFile, '# earlier step\n');
    const j = await cli(['report', '--window', '1h', '--format', 'junit', '--output', junitFile], {
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    // A critical threshold failed, and --fail-on defaults to critical.
    expect(j.exitCode, j.stderr).toBe(2);
    expect(j.stdout).toMatch(/Wrote the junit report to .*wmon\.xml: critical \(exit 2 with --fail-on critical\)/);
    const xml = await readFile(junitFile, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = (await parseJunit(xml)) as {
      name?: string;
      tests?: number;
      failures?: number;
      testsuite?: Array<{
        name?: string;
        tests?: number;
        testcase?: Array<{ name?: string; failure?: Array<{ type?: string }> }>;
      }>;
    };
    expect(parsed.tests).toBe(report.testCases.length);
    expect(parsed.failures).toBe(report.testCases.filter((c) => c.status === 'failed').length);
    expect(parsed.testsuite?.map((s) => s.name)).toEqual(['wmon.slo', 'wmon.alerts']);
    const errorCase = parsed.testsuite?.[0]?.testcase?.find((c) => c.name === 'Error rate below 10 % (critical)');
    expect(errorCase?.failure?.[0]?.type).toBe('critical');

    const summary = await readFile(summaryFile, 'utf8');
    expect(summary.startsWith('# earlier step\n')).toBe(true);
    expect(summary).toContain('## wmon report:');
    expect(summary).toMatch(/\| ❌ \| Error rate below 10 % \(critical\) \|/);

    const md = await cli(['report', '--window', '1h', '--fail-on', 'never']);
    expect(md.stdout).toMatch(/### Event types/);
    expect(md.stdout).toMatch(/\| Requests \| \d+ \(200: \d+, 400: 4\)/);
    expect(md.stdout).toMatch(/`[▁▂▃▄▅▆▇█ ]+`/);

    const htmlFile = path.join(stack.dir, 'report.html');
    // A short window: the charts get a point per 3 s, so the traffic above draws lines.
    expect(
      (await cli(['report', '--window', '2m', '--format', 'html', '--output', htmlFile, '--fail-on', 'never']))
        .exitCode,
    ).toBe(0);
    const html = await readFile(htmlFile, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('<polyline');

    // Only warning-level failures count with --fail-on warning too; critical ones give 2.
    expect((await cli(['report', '--window', '1h', '--format', 'json', '--fail-on', 'warning'])).exitCode).toBe(2);
  });
});

describe('drift', () => {
  it('warns (exit 1) with each difference when the running rules or Alertmanager config differ', async () => {
    const rulesFile = path.join(stack.stackDir, 'prometheus/rules/webhook-alerts.yml');
    const amFile = path.join(stack.stackDir, 'alertmanager/alertmanager.yml');
    const rules = await readFile(rulesFile, 'utf8');
    const am = await readFile(amFile, 'utf8');
    const reload = async (url: string) => expect((await fetch(`${url}/-/reload`, { method: 'POST' })).status).toBe(200);
    try {
      expect(rules).toMatch(/>= 0\.1\n/);
      await writeFile(rulesFile, rules.replace(/>= 0\.1\n/, '>= 0.2\n'));
      await writeFile(amFile, am.replace('group_wait: 30s', 'group_wait: 45s'));
      await reload(stack.urls.prometheus);
      await reload(stack.urls.alertmanager);
      const r = await cli(['check', '--skip', 'engine', '--json']);
      const c = jsonOutput(r, checkJsonSchema);
      expect(r.exitCode).toBe(1);
      const prometheus = c.checks.find((x) => x.id === 'drift.prometheus');
      expect(prometheus?.status).toBe('WARNING');
      expect(prometheus?.differences).toEqual([
        expect.stringMatching(
          /^alert WebhookHighErrorRate: expr differs: running .*>= 0\.2; wmon\.yaml renders .*>= 0\.1$/,
        ),
      ]);
      const alertmanager = c.checks.find((x) => x.id === 'drift.alertmanager');
      expect(alertmanager?.differences).toEqual(['route.group_wait: running has "45s", wmon.yaml renders "30s"']);

      const quiet = await cli(['check', '--skip', 'engine', '--quiet']);
      expect(quiet.exitCode).toBe(1);
      expect(quiet.stdout.split('\n')).toEqual([
        expect.stringMatching(
          /^WMON WARNING - 2 warnings \(2 of \d+ checks\): prometheus config drift: .+ \(\+1 more below\)$/,
        ),
        expect.stringMatching(
          /^WARNING prometheus config drift: the running configuration differs from wmon.yaml in 1 place/,
        ),
        expect.stringMatching(/^ {2}- alert WebhookHighErrorRate: expr differs/),
        expect.stringMatching(/^WARNING alertmanager config drift: /),
        '  - route.group_wait: running has "45s", wmon.yaml renders "30s"',
      ]);
    } finally {
      await writeFile(rulesFile, rules);
      await writeFile(amFile, am);
      await reload(stack.urls.prometheus);
      await reload(stack.urls.alertmanager);
    }
    const after = await cli(['check', '--skip', 'engine']);
    expect(after.exitCode, after.stdout).toBe(0);
  });
});

describe('Prometheus unreachable', () => {
  it('check says UNKNOWN (exit 3); metrics and report fail clearly (exit 69), without a stack trace', async () => {
    await stack.processes.prometheus.stop();
    try {
      const r = await cli(['check', '--skip', 'engine', '--json']);
      const c = jsonOutput(r, checkJsonSchema);
      expect(r.exitCode).toBe(3);
      expect(c.status).toBe('UNKNOWN');
      expect(c.checks.find((x) => x.id === 'ready.prometheus')).toMatchObject({
        status: 'UNKNOWN',
        detail: expect.stringMatching(/Prometheus is unreachable at http:\/\/127\.[\d.]+:9090 \(connection refused\)/),
      });
      expect(c.checks.find((x) => x.id === 'targets')).toMatchObject({
        status: 'UNKNOWN',
        detail: expect.stringMatching(/^cannot tell: Prometheus is unreachable/),
      });
      expect(c.checks.find((x) => x.id === 'ready.webhook')?.status).toBe('OK');
      expect((await cli(['check', '--skip', 'engine'])).stdout).toMatch(/^WMON UNKNOWN - /);

      for (const args of [['metrics'], ['report'], ['metrics', '--json']]) {
        const m = await cli(args);
        expect(m.exitCode, args.join(' ')).toBe(69);
        // oclif wraps its error lines at the terminal width, each continuation prefixed with ›.
        const text = (m.stdout + m.stderr).replace(/\s*\n\s*›\s*/g, ' ');
        expect(text).toMatch(
          /Prometheus is unreachable at http:\/\/127\.[\d.]+:9090 \(connection refused\): wmon (metrics|report) reads every figure from it/,
        );
        expect(text).not.toMatch(/\n\s+at /);
      }
    } finally {
      await stack.start('prometheus');
    }
    await targetsUp(prom, 4);
  });
});

describe('the webhook service down', () => {
  it('check exits 2 naming the target', async () => {
    await stack.processes.webhook.stop();
    await eventually('Prometheus sees the webhook target down', async () =>
      (await prom.targets()).find((t) => t.job === 'webhook')?.health === 'down' ? true : undefined,
    );
    const r = await cli(['check', '--skip', 'engine']);
    expect(r.exitCode, r.stdout).toBe(2);
    expect(r.stdout).toMatch(/^WMON CRITICAL - 2 critical/);
    expect(r.stdout).toMatch(
      /webhook\s+target up\s+CRITICAL\s+target webhook:9464 \(job webhook\) is down: .*connection refused/,
    );
    expect(r.stdout).toMatch(
      /webhook\s+ready\s+CRITICAL\s+the webhook service at http:\/\/127\.[\d.]+:9464 is not answering \(connection refused\)/,
    );
    const quiet = await cli(['check', '--skip', 'engine', '--quiet']);
    expect(quiet.exitCode).toBe(2);
    // The status line (complete on its own: the count and the first problem), then one line per problem.
    const [status, ...problems] = quiet.stdout.split('\n');
    expect(status).toMatch(/^WMON CRITICAL - 2 critical \(2 of \d+ checks\): webhook .+ \(\+1 more below\)$/);
    expect(problems).toHaveLength(2);
  });
});

describe('a check that cannot run', () => {
  it('exits 3 for an invalid wmon.yaml and for a bad flag', async () => {
    const bad = path.join(stack.dir, 'bad.yaml');
    await writeFile(bad, 'components:\n  prometheus: {port: 99999}\n');
    const r = await wmon(['check', '--config', bad], { cwd: stack.dir });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^WMON UNKNOWN - .*bad\.yaml is invalid/);
    const j = await wmon(['check', '--config', bad, '--json'], { cwd: stack.dir });
    expect(j.exitCode).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'CONFIG_INVALID', exit: 3 } });
    const flag = await cli(['check', '--skip', 'nonsense']);
    expect(flag.exitCode).toBe(3);
    expect(flag.stdout).toMatch(/^WMON UNKNOWN - --skip: unknown group\(s\) nonsense/);
  });
});
