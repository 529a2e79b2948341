import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { chalk } from '../../../src/cli/colors.js';
import { formatDown } from '../../../src/cli/format/down.js';
import { formatInit } from '../../../src/cli/format/init.js';
import { formatUrls } from '../../../src/cli/format/urls.js';
import type { ComponentUrl, Credentials, InitResultJson } from '../../../src/results.js';
import { plainOutput } from '../../support/colour.js';

plainOutput();

const PASSWORD = 'c0rrect-h0rse-battery-staple';
const SIGNING_SECRET = 'whsec_0123456789abcdefghijklmnop';

/** Credentials as init reports them: where the secrets are, never the secrets. */
const credentials: Credentials = {
  grafana: { user: 'admin', passwordFile: '/srv/demo/.wmon/grafana-admin-password' },
  webhook: { secretFile: '/srv/demo/.wmon/stripe-webhook-secret' },
};

const urls: ComponentUrl[] = [
  { component: 'prometheus', title: 'Prometheus', url: 'http://127.0.0.1:9090', extra: {} },
  { component: 'grafana', title: 'Grafana', url: 'http://127.0.0.1:3000', extra: {} },
  {
    component: 'jaeger',
    title: 'Jaeger',
    url: 'http://127.0.0.1:16686',
    extra: { 'OTLP/HTTP': 'http://127.0.0.1:4318' },
  },
];

const init: InitResultJson = {
  configFile: path.join(process.cwd(), 'wmon.yaml'),
  configCreated: true,
  stackDir: path.join(process.cwd(), '.wmon'),
  dryRun: false,
  engine: { name: 'Podman', version: '4.3.1', address: 'unix:///run/podman/podman.sock' },
  changed: true,
  files: [
    { path: 'prometheus/prometheus.yml', component: 'prometheus', status: 'created' },
    { path: 'prometheus/rules/webhook.yml', component: 'prometheus', status: 'changed' },
    { path: 'alertmanager/alertmanager.yml', component: 'alertmanager', status: 'unchanged' },
  ],
  removedFiles: ['loki/loki.yml'],
  images: [
    { ref: 'docker.io/prom/prometheus:v3.5.0', action: 'pulled' },
    { ref: 'localhost/wmon/webhook:0.1.0', action: 'built' },
  ],
  containers: [
    {
      component: 'prometheus',
      container: 'demo-prometheus',
      image: 'docker.io/prom/prometheus:v3.5.0',
      action: 'recreate',
      reason: 'its image changed',
    },
    {
      component: 'alertmanager',
      container: 'demo-alertmanager',
      image: 'docker.io/prom/alertmanager:v0.28.1',
      action: 'reload',
      reason: 'alertmanager.yml changed',
    },
    {
      component: 'nodeExporter',
      container: 'demo-node-exporter',
      image: 'docker.io/prom/node-exporter:v1.9.1',
      action: 'create',
      reason: 'not created yet',
    },
    {
      component: 'webhook',
      container: 'demo-webhook',
      image: 'localhost/wmon/webhook:0.1.0',
      action: 'keep',
      reason: 'up to date',
    },
  ],
  removedContainers: [{ container: 'demo-loki', component: 'loki', reason: 'loki is switched off' }],
  urls,
  credentials,
  warnings: ['Grafana is published on 0.0.0.0 (every address): anyone on the network can reach it.'],
  durationMs: 12_345,
};

describe('wmon init, for people', () => {
  it('lists what was done: files, images, containers (kept and created ones without a reason), then the URLs', () => {
    const text = formatInit(init);
    expect(text).toContain(
      [
        'Created wmon.yaml with the defaults.',
        'Files in .wmon:',
        '  + prometheus/prometheus.yml',
        '  ~ prometheus/rules/webhook.yml',
        '  - loki/loki.yml',
        'Images:',
        '  docker.io/prom/prometheus:v3.5.0 pulled',
        '  localhost/wmon/webhook:0.1.0 built',
        'Containers:',
        '  ~ demo-prometheus recreated (its image changed)',
        '  ↻ demo-alertmanager reloaded (alertmanager.yml changed)',
        '  + demo-node-exporter created',
        '  = demo-webhook unchanged',
        '  - demo-loki removed (loki is switched off)',
        'warning: Grafana is published on 0.0.0.0 (every address): anyone on the network can reach it.',
        '',
        'The stack is up.',
      ].join('\n'),
    );
    expect(text).not.toContain('alertmanager/alertmanager.yml'); // unchanged files are not listed
    expect(text).toMatch(/│ Jaeger\s+│ http:\/\/127\.0\.0\.1:16686 │ OTLP\/HTTP: http:\/\/127\.0\.0\.1:4318 │/);
  });

  it('says where the secrets are (init never carries them)', () => {
    const text = formatInit(init);
    expect(text).toContain(
      'Grafana: user admin, password in /srv/demo/.wmon/grafana-admin-password (or `wmon urls --show-credentials`)',
    );
    expect(text).toContain('Stripe webhook signing secret: in /srv/demo/.wmon/stripe-webhook-secret');
  });

  it('says so when nothing changed, and says nothing of a wmon.yaml it did not create', () => {
    const text = formatInit({
      ...init,
      configCreated: false,
      changed: false,
      files: init.files.map((f) => ({ ...f, status: 'unchanged' as const })),
      removedFiles: [],
    });
    expect(text).not.toContain('Created wmon.yaml');
    expect(text).toContain('Files in .wmon: unchanged\n');
    expect(text).toContain('Nothing changed: the stack was already up to date.');
  });

  it('shows a dry run as a plan: no "up", no URLs', () => {
    const text = formatInit({ ...init, dryRun: true, configCreated: false });
    expect(text.split('\n')[0]).toBe('Plan (dry run: nothing was changed)');
    expect(text).not.toContain('The stack is up.');
    expect(text).not.toContain('http://127.0.0.1:9090');
  });

  it('dims what stays as it is on a terminal', () => {
    chalk.level = 1;
    expect(formatInit(init)).toContain(chalk.dim('  = demo-webhook unchanged'));
  });
});

describe('wmon urls, for people', () => {
  it('is a table of the URLs; the secrets only when the result carries them (--show-credentials)', () => {
    const hidden = formatUrls({ project: 'demo', components: urls, credentials });
    expect(hidden).toMatch(/│ component\s+│ url\s+│ also\s+│/);
    expect(hidden).toMatch(/│ Prometheus\s+│ http:\/\/127\.0\.0\.1:9090\s+│\s+│/);
    expect(hidden).toContain('Grafana: user admin, password in /srv/demo/.wmon/grafana-admin-password');

    const shown = formatUrls({
      project: 'demo',
      components: urls,
      credentials: {
        grafana: { ...credentials.grafana!, password: PASSWORD },
        webhook: { ...credentials.webhook!, secret: SIGNING_SECRET },
      },
    });
    expect(shown).toContain(`Grafana: user admin, password ${PASSWORD}`);
    expect(shown).toContain(`Stripe webhook signing secret: ${SIGNING_SECRET}`);
  });

  it('has no credential lines when Grafana and the webhook service are off', () => {
    expect(formatUrls({ project: 'demo', components: urls.slice(0, 1), credentials: {} })).not.toMatch(
      /Grafana:|secret/,
    );
  });
});

describe('wmon down, for people', () => {
  it('lists what it removed and the volumes it kept', () => {
    expect(
      formatDown({
        project: 'demo',
        removedContainers: ['demo-webhook', 'demo-prometheus'],
        network: { name: 'demo-net', removed: true },
        keptVolumes: ['demo-prometheus-data', 'demo-grafana-data'],
      }),
    ).toBe(
      [
        '- demo-webhook',
        '- demo-prometheus',
        '- network demo-net',
        'Kept volumes (your data): demo-prometheus-data, demo-grafana-data',
        'Stopped. `wmon init` brings the stack back with its data.',
      ].join('\n'),
    );
  });

  it('says when nothing was running', () => {
    expect(
      formatDown({
        project: 'demo',
        removedContainers: [],
        network: { name: 'demo-net', removed: false },
        keptVolumes: [],
      }),
    ).toBe('No container of this project was running.\nStopped. `wmon init` brings the stack back with its data.');
  });
});
