import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { chalk } from '../../../src/cli/colors.js';
import { formatBackup } from '../../../src/cli/format/backup.js';
import { formatReset, formatResetPlan } from '../../../src/cli/format/reset.js';
import { formatRestore } from '../../../src/cli/format/restore.js';
import { formatUpdate } from '../../../src/cli/format/update.js';
import type { BackupResultJson, InitResultJson, RestoreResultJson, UpdateResultJson } from '../../../src/results.js';
import { plainOutput } from '../../support/colour.js';

plainOutput();

const here = (p: string) => path.join(process.cwd(), p);

const backup: BackupResultJson = {
  file: here('backups/wmon-demo-20261201-100000.tar.gz'),
  bytes: 5 * 1024 * 1024 + 300 * 1024,
  sha256: 'f'.repeat(64),
  createdAt: '2026-12-01T10:00:00.000Z',
  project: 'demo',
  wmonVersion: '0.1.0',
  files: 42,
  totalBytes: 19 * 1024 * 1024,
  components: [
    { component: 'prometheus', included: true, detail: 'snapshot: 40 files, 12.3 MiB, 3 blocks' },
    { component: 'alertmanager', included: true, detail: '2 silences' },
    { component: 'grafana', included: false, detail: 'switched off' },
  ],
  prometheus: { mode: 'snapshot', files: 40, bytes: 12_900_000, blocks: 3, probes: 2 },
  alertmanager: { silences: 2 },
  grafana: null,
  webhook: null,
  secretsNeeded: [
    { name: 'slackWebhookUrl', source: 'env', ref: 'WMON_SLACK_WEBHOOK_URL', note: 'set it where you restore' },
    { name: 'grafanaAdminPassword', source: 'generated', ref: null, note: 'made anew if absent' },
  ],
  pruned: [here('backups/wmon-demo-20261101-100000.tar.gz')],
  warnings: ['Prometheus answered slowly: the snapshot took 12 s'],
  durationMs: 3_456,
  dataVolumes: [],
};

describe('wmon backup, for people', () => {
  it('says where the archive is, what is in it, the secrets it does not hold, and what --keep removed', () => {
    expect(formatBackup(backup)).toBe(
      [
        'Backup written: backups/wmon-demo-20261201-100000.tar.gz (5.3 MiB, 42 files, 19.0 MiB uncompressed, 3.5 s)',
        `sha256 ${'f'.repeat(64)}`,
        '  ✓ prometheus    snapshot: 40 files, 12.3 MiB, 3 blocks',
        '  ✓ alertmanager  2 silences',
        '  - grafana       switched off',
        'Not in the backup (secrets), needed where it is restored:',
        '  slackWebhookUrl (env: WMON_SLACK_WEBHOOK_URL): set it where you restore',
        '  grafanaAdminPassword: made anew if absent',
        '- removed the older backups/wmon-demo-20261101-100000.tar.gz',
        'warning: Prometheus answered slowly: the snapshot took 12 s',
      ].join('\n'),
    );
  });

  it('names a file outside the current folder by its full path', () => {
    expect(formatBackup({ ...backup, file: '/var/backups/wmon/demo.tar.gz' }).split('\n')[0]).toMatch(
      /^Backup written: \/var\/backups\/wmon\/demo\.tar\.gz /,
    );
  });
});

const archive: RestoreResultJson['archive'] = {
  sha256: 'e'.repeat(64),
  bytes: 5_000_000,
  files: 42,
  totalBytes: 19_000_000,
  formatVersion: 1,
  wmonVersion: '0.1.0',
  createdAt: '2026-12-01T10:00:00.000Z',
  project: 'demo',
  components: ['prometheus', 'alertmanager'],
};

describe('wmon restore, for people', () => {
  it('shows a dry run as the numbered plan, changing nothing', () => {
    const dry: RestoreResultJson = {
      file: here('backups/demo.tar.gz'),
      dryRun: true,
      archive,
      plan: [
        { step: 'verify', detail: '42 files, every checksum matches' },
        { step: 'safety-backup', detail: 'of the stack as it is now' },
        { step: 'prometheus-data', detail: '40 files into demo-prometheus-data' },
      ],
      safetyBackup: null,
      restored: null,
      checks: [],
      warnings: [],
      durationMs: 120,
    };
    expect(formatRestore(dry)).toBe(
      [
        'Plan (dry run: nothing was changed)',
        'backups/demo.tar.gz: backup of demo made 2026-12-01T10:00:00.000Z by wmon 0.1.0 (prometheus, alertmanager)',
        '  1. verify          42 files, every checksum matches',
        '  2. safety-backup   of the stack as it is now',
        '  3. prometheus-data 40 files into demo-prometheus-data',
      ].join('\n'),
    );
  });

  it('after a restore: what came back, each check with its mark, and where the state before is', () => {
    const done: RestoreResultJson = {
      file: here('backups/demo.tar.gz'),
      dryRun: false,
      archive,
      plan: [],
      safetyBackup: here('backups/wmon-demo-before-restore.tar.gz'),
      restored: {
        config: { wmonYaml: 'restored', files: ['prometheus/prometheus.yml', 'alertmanager/alertmanager.yml'] },
        prometheus: { files: 40, bytes: 12_900_000, blocks: 3 },
        silences: { restored: 1, present: 0, expired: 1 },
        grafana: null,
        webhook: null,
        dataVolumes: [],
      },
      checks: [
        { check: 'prometheus series', ok: true, detail: '2 probes give the values the backup recorded' },
        { check: 'silences', ok: false, detail: '1 silence missing' },
      ],
      warnings: ['1 silence had ended since the backup: not restored'],
      durationMs: 25_000,
    };
    expect(formatRestore(done)).toBe(
      [
        'Restored backups/demo.tar.gz (backup of demo made 2026-12-01T10:00:00.000Z), in 25.0 s',
        '  wmon.yaml          restored; 2 rendered files',
        '  Prometheus data    40 files, 12.3 MiB, 3 blocks',
        '  silences           1 restored, 0 already there, 1 ended since the backup',
        'Checked:',
        '  ✓ prometheus series: 2 probes give the values the backup recorded',
        '  ✗ silences: 1 silence missing',
        'The state before the restore is in backups/wmon-demo-before-restore.tar.gz.',
        'warning: 1 silence had ended since the backup: not restored',
      ].join('\n'),
    );
    expect(formatRestore({ ...done, safetyBackup: null })).toContain(
      'No safety backup was taken (--no-safety-backup).',
    );
    chalk.level = 1;
    expect(formatRestore(done)).toContain(`${chalk.red('✗')} silences: 1 silence missing`);
  });
});

const init: InitResultJson = {
  configFile: here('wmon.yaml'),
  configCreated: false,
  stackDir: here('.wmon'),
  dryRun: false,
  engine: { name: 'Docker', version: '27.3.1', address: 'unix:///var/run/docker.sock' },
  changed: true,
  files: [{ path: 'prometheus/rules/webhook.yml', component: 'prometheus', status: 'changed' }],
  removedFiles: [],
  images: [],
  containers: [
    {
      component: 'prometheus',
      container: 'demo-prometheus',
      image: 'docker.io/prom/prometheus:v3.5.0',
      action: 'reload',
      reason: 'rules changed',
    },
  ],
  removedContainers: [],
  urls: [],
  credentials: {},
  warnings: [],
  durationMs: 900,
};

describe('wmon update, for people', () => {
  const update: UpdateResultJson = {
    ...init,
    changes: [
      {
        path: 'prometheus/rules/webhook.yml',
        status: 'changed',
        diff: [
          '--- prometheus/rules/webhook.yml',
          '+++ prometheus/rules/webhook.yml',
          '@@ -1,2 +1,2 @@',
          ' groups:',
          '-  for: 5m',
          '+  for: 2m',
        ].join('\n'),
      },
    ],
    dashboards: [
      { uid: 'wmon-overview', title: 'Webhook overview', status: 'current' },
      { uid: 'wmon-events', title: 'Webhook events', status: 'stale' },
    ],
  };

  it('shows the diff first (with --diff), then what init did, then dashboards Grafana does not show as rendered', () => {
    const text = formatUpdate(update, { diff: true });
    expect(
      text.startsWith(
        '--- prometheus/rules/webhook.yml\n+++ prometheus/rules/webhook.yml\n@@ -1,2 +1,2 @@\n groups:\n-  for: 5m\n+  for: 2m\nFiles in .wmon:',
      ),
    ).toBe(true);
    expect(text).toContain('  ↻ demo-prometheus reloaded (rules changed)');
    expect(text.endsWith('warning: Grafana\'s dashboard wmon-events ("Webhook events") is stale')).toBe(true);
    expect(text).not.toContain('wmon-overview');
    expect(formatUpdate(update, { diff: false })).not.toContain('-  for: 5m');
  });

  it('colours the diff on a terminal: added green, removed red, hunks cyan', () => {
    chalk.level = 1;
    const text = formatUpdate(update, { diff: true });
    expect(text).toContain(chalk.green('+  for: 2m'));
    expect(text).toContain(chalk.red('-  for: 5m'));
    expect(text).toContain(chalk.cyan('@@ -1,2 +1,2 @@'));
    expect(text).toContain(chalk.bold('+++ prometheus/rules/webhook.yml'));
  });
});

describe('wmon reset, for people', () => {
  it('says where the safety backup is, what it removed, then what init did', () => {
    const text = formatReset({
      project: 'demo',
      safetyBackup: backup,
      removed: { containers: ['demo-prometheus'], volumes: ['demo-prometheus-data'], networks: ['demo-net'] },
      kept: { volumes: ['demo-webhook-data'] },
      init,
    });
    expect(text).toContain(
      [
        'Safety backup: backups/wmon-demo-20261201-100000.tar.gz (5.3 MiB); `wmon restore` it to go back.',
        '- container demo-prometheus',
        '- volume demo-prometheus-data',
        '- network demo-net',
        "= volume demo-webhook-data kept (the webhook service's events; --delete-events removes it)",
        'Files in .wmon:',
      ].join('\n'),
    );
  });

  it('warns when there was no safety backup', () => {
    const text = formatReset({
      project: 'demo',
      safetyBackup: null,
      removed: { containers: [], volumes: [], networks: [] },
      kept: { volumes: [] },
      init,
    });
    expect(text.split('\n')[0]).toBe('No safety backup was taken (--no-backup).');
  });

  it('says before anything what it deletes and keeps: volumes with sizes, the pending and dead-letter events', () => {
    const events = { pending: 3, processed: 40, deadLetter: 2 };
    const plan = {
      containers: ['demo-prometheus', 'demo-webhook'],
      volumes: [
        { name: 'demo-prometheus-data', component: 'prometheus', bytes: 5 * 1024 * 1024, action: 'delete' as const },
        { name: 'demo-webhook-data', component: 'webhook', bytes: 81920, action: 'keep' as const, events },
      ],
      deletesEvents: false,
      events,
      safetyBackup: true,
    };
    expect(formatResetPlan('demo', plan)).toBe(
      [
        'wmon reset of "demo" removes 2 containers and the network, and:',
        '  delete  volume demo-prometheus-data (prometheus, 5.0 MiB)',
        '  keep    volume demo-webhook-data (webhook, 80.0 KiB): 3 pending, 2 dead-letter, 40 processed events (--delete-events deletes them)',
        "A safety backup is taken first: Prometheus's data, silences, Grafana, the configuration and the webhook service's events; not Loki's logs nor Jaeger's traces.",
      ].join('\n'),
    );
    const deleting = formatResetPlan('demo', {
      ...plan,
      deletesEvents: true,
      volumes: [{ ...plan.volumes[1]!, action: 'delete' as const, bytes: null }],
    });
    expect(deleting).toContain(
      '  delete  volume demo-webhook-data (webhook, size unknown): 3 pending, 2 dead-letter, 40 processed events DELETED (--delete-events)',
    );
  });
});
