/**
 * The blackbox exporter component: its configuration (checked by the exporter itself), the multi-target
 * scrape job of the reachability probes, the alerts and panels that come with it, and nothing of it when it
 * is off or has nothing to probe.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import type { Config } from '../../../src/core/config/schema.js';
import { buildStack } from '../../../src/core/model/stack.js';
import { renderStack } from '../../../src/core/render/index.js';
import { BINARIES, requireBinaries } from '../../support/debian-daemons.js';
import { tempDir } from '../../support/tmp.js';

const config = (yaml = ''): Config => parseConfigText(yaml, 'wmon.yaml');
const file = (c: Config, p: string) => renderStack(c).files.find((f) => f.path === p)?.contents;

interface Job {
  job_name: string;
  metrics_path?: string;
  params?: Record<string, string[]>;
  basic_auth?: { username: string; password_file: string };
  static_configs: Array<{ targets: string[]; labels: Record<string, string> }>;
  relabel_configs?: Array<Record<string, unknown>>;
}
const probeJob = (c: Config): Job | undefined =>
  (parse(file(c, 'prometheus/prometheus.yml')!) as { scrape_configs: Job[] }).scrape_configs.find(
    (j) => j.job_name === 'blackbox-exporter',
  );
const alertNames = (c: Config): string[] =>
  (
    parse(file(c, 'prometheus/rules/webhook-alerts.yml')!) as { groups: Array<{ rules: Array<{ alert: string }> }> }
  ).groups.flatMap((g) => g.rules.map((r) => r.alert));
const overviewTitles = (c: Config): string[] =>
  (JSON.parse(file(c, 'grafana/dashboards/overview.json')!) as { panels: Array<{ title: string }> }).panels.map(
    (p) => p.title,
  );

const PUBLIC = 'service:\n  publicUrl: https://hooks.example.com/webhooks/stripe\n';

describe('the blackbox exporter', () => {
  it('renders a configuration the exporter itself accepts (--config.check)', async () => {
    requireBinaries('blackboxExporter');
    const dir = await tempDir('wmon-blackbox-');
    const yml = path.join(dir, 'blackbox.yml');
    await writeFile(yml, file(config(), 'blackbox-exporter/blackbox.yml')!);
    const { stdout, stderr } = await promisify(execFile)(BINARIES.blackboxExporter, [
      `--config.file=${yml}`,
      '--config.check',
    ]);
    expect(stdout + stderr).toMatch(/Config file is ok/i);
    // And refuses a broken one, so the check above can fail.
    await writeFile(yml, 'modules:\n  x: {prober: http, http: {no_such_setting: 7}}\n');
    await expect(
      promisify(execFile)(BINARIES.blackboxExporter, [`--config.file=${yml}`, '--config.check']),
    ).rejects.toThrow();
  });

  it("probes the service's reachability route inside the stack, through the multi-target pattern", () => {
    expect(probeJob(config())).toEqual({
      job_name: 'blackbox-exporter',
      metrics_path: '/probe',
      params: { module: ['webhook_reachability'] },
      static_configs: [
        {
          targets: ['http://webhook:8080/webhooks/stripe/reachability'],
          labels: { component: 'blackbox-exporter', probe: 'internal' },
        },
      ],
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['__param_target'], target_label: 'instance' },
        { target_label: '__address__', replacement: 'blackbox-exporter:9115' },
      ],
    });
    // Without a public URL there is nothing to call unreachable from outside; the certificate alerts stay.
    expect(alertNames(config())).not.toContain('WebhookEndpointUnreachable');
    expect(alertNames(config())).toContain('WebhookCertificateExpiringSoon');
    expect(overviewTitles(config())).toEqual(expect.arrayContaining(['Probe duration', 'Certificate expiry']));
  });

  it('probes service.publicUrl (as Stripe calls it) first, and alerts when it fails', () => {
    const c = config(PUBLIC.replace('stripe\n', 'stripe/\n'));
    expect(probeJob(c)?.static_configs).toEqual([
      {
        targets: ['https://hooks.example.com/webhooks/stripe/reachability'],
        labels: { component: 'blackbox-exporter', probe: 'public' },
      },
      {
        targets: ['http://webhook:8080/webhooks/stripe/reachability'],
        labels: { component: 'blackbox-exporter', probe: 'internal' },
      },
    ]);
    expect(alertNames(c)).toEqual(
      expect.arrayContaining(['WebhookEndpointUnreachable', 'WebhookCertificateExpiringSoon']),
    );
    // The public URL alone, with the bundled service off (the team's own handler behind it).
    const own = config(`${PUBLIC}components:\n  webhook: {enabled: false}\n`);
    expect(probeJob(own)?.static_configs.map((s) => s.labels.probe)).toEqual(['public']);
  });

  it('asks for the auth credentials like the other exporters when auth is set', () => {
    const c = config('auth: {username: wmon, password: {env: WMON_AUTH_PASSWORD}}\n');
    expect(probeJob(c)?.basic_auth).toEqual({ username: 'wmon', password_file: '/run/secrets/wmon/auth_password' });
    const model = buildStack(c).components.find((m) => m.id === 'blackboxExporter')!;
    expect(model.cmd).toContain('--web.config.file=/run/secrets/wmon/web-config.yml');
    expect(model.readiness).toEqual({ path: '/-/healthy', authenticated: true });
  });

  it('runs unprivileged on a read-only file system, with default limits, before Prometheus', () => {
    const stack = buildStack(config());
    const model = stack.components.find((m) => m.id === 'blackboxExporter')!;
    expect(model).toMatchObject({
      image: 'docker.io/prom/blackbox-exporter:v0.27.0',
      user: '65534:65534',
      readOnlyRootfs: true,
      memory: '64m',
      cpus: 0.25,
      config: { dir: 'blackbox-exporter', target: '/etc/blackbox_exporter/wmon' },
      cmd: ['--config.file=/etc/blackbox_exporter/wmon/blackbox.yml'],
    });
    expect(model.ports[0]).toMatchObject({ containerPort: 9115, hostPort: 9115, hostIp: '127.0.0.1' });
    const order = stack.components.map((m) => m.id);
    expect(order.indexOf('blackboxExporter')).toBeLessThan(order.indexOf('prometheus'));
  });

  it('leaves nothing behind when it is off, or has nothing to probe', () => {
    for (const c of [
      config(`${PUBLIC}components:\n  blackboxExporter: {enabled: false}\n`),
      config('components:\n  webhook: {enabled: false}\n'),
    ]) {
      expect(probeJob(c)).toBeUndefined();
      expect(alertNames(c)).not.toContain('WebhookEndpointUnreachable');
      expect(alertNames(c)).not.toContain('WebhookCertificateExpiringSoon');
      expect(overviewTitles(c)).not.toContain('Probe duration');
    }
    expect(
      file(config('components:\n  blackboxExporter: {enabled: false}\n'), 'blackbox-exporter/blackbox.yml'),
    ).toBeUndefined();
    // On with nothing to probe: said so.
    expect(renderStack(config('components:\n  webhook: {enabled: false}\n')).warnings).toContain(
      'components.blackboxExporter has nothing to probe (the bundled service is off and service.publicUrl is not ' +
        'set): set service.publicUrl to the URL Stripe calls, or switch the blackbox exporter off.',
    );
    expect(renderStack(config()).warnings.join('\n')).not.toContain('blackboxExporter');
  });

  it('follows alerts.endpointUnreachableFor and certificateExpiryDays, and refuses a critical level above the warning', () => {
    const c = config(
      `${PUBLIC}alerts:\n  endpointUnreachableFor: 5m\n  certificateExpiryDays: {warning: 21, critical: 7, for: 1h}\n`,
    );
    const rules = (
      parse(file(c, 'prometheus/rules/webhook-alerts.yml')!) as {
        groups: Array<{ rules: Array<{ alert: string; expr: string; for: string; labels: { severity: string } }> }>;
      }
    ).groups.flatMap((g) => g.rules);
    expect(rules.find((r) => r.alert === 'WebhookEndpointUnreachable')?.for).toBe('5m');
    const certs = rules.filter((r) => r.alert === 'WebhookCertificateExpiringSoon');
    expect(certs.map((r) => [r.labels.severity, r.expr.replace(/^.* <= /, ''), r.for])).toEqual([
      ['critical', '7', '1h'],
      ['warning', '21', '1h'],
    ]);
    expect(() => config('alerts:\n  certificateExpiryDays: {warning: 3, critical: 14}\n')).toThrow(
      /alerts\.certificateExpiryDays\.critical: must be fewer days than certificateExpiryDays\.warning \(3\)/,
    );
  });

  it('refuses a public URL Stripe could not call as given', () => {
    for (const [url, message] of [
      ['ftp://hooks.example.com/x', /must be an http\(s\) URL/],
      ['hooks.example.com/webhooks/stripe', /must be an http\(s\) URL/],
      ['https://hooks.example.com/webhooks/stripe?x=1', /no query or fragment/],
    ] as const) {
      expect(() => config(`service:\n  publicUrl: '${url}'\n`), url).toThrow(message);
    }
  });
});
