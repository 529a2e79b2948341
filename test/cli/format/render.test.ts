import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { chalk } from '../../../src/cli/colors.js';
import { formatRender } from '../../../src/cli/format/render.js';
import type { RenderResultJson } from '../../../src/results.js';
import { plainOutput } from '../../support/colour.js';

plainOutput();

const file = (p: string, component: string, status: 'created' | 'changed' | 'unchanged') => ({
  path: p,
  component,
  bytes: 100,
  sha256: 'a'.repeat(64),
  status,
  kind: null,
});

const result: RenderResultJson = {
  configFile: path.join(process.cwd(), 'wmon.yaml'),
  configExists: true,
  outDir: 'deploy/monitoring',
  components: ['prometheus', 'alertmanager'],
  files: [
    file('prometheus/prometheus.yml', 'prometheus', 'changed'),
    file('prometheus/rules/webhook.yml', 'prometheus', 'created'),
    file('alertmanager/alertmanager.yml', 'alertmanager', 'unchanged'),
  ],
  removed: ['grafana/dashboards/old.json'],
  warnings: ['alerts.errorRate.warning is above its critical threshold'],
  target: 'local',
};

describe('wmon render, for people', () => {
  it('marks each file created (+), changed (~), unchanged (=) or removed (-), then counts them', () => {
    expect(formatRender(result)).toBe(
      [
        '~ prometheus/prometheus.yml',
        '+ prometheus/rules/webhook.yml',
        '= alertmanager/alertmanager.yml',
        '- grafana/dashboards/old.json',
        'warning: alerts.errorRate.warning is above its critical threshold',
        'Rendered 3 files for prometheus, alertmanager into deploy/monitoring (1 created, 1 changed, 1 unchanged, 1 removed).',
      ].join('\n'),
    );
  });

  it('names the target when it is not the local stack', () => {
    const text = formatRender({ ...result, target: 'kubernetes', removed: [], warnings: [] });
    expect(text.split('\n').at(-1)).toBe(
      'Rendered 3 kubernetes files for prometheus, alertmanager into deploy/monitoring (1 created, 1 changed, 1 unchanged, 0 removed).',
    );
  });

  it('says when there was no wmon.yaml and the defaults were rendered', () => {
    const text = formatRender({ ...result, configExists: false, removed: [], warnings: [] });
    expect(text.split('\n')[0]).toBe('wmon.yaml not found: rendered the defaults.');
    const elsewhere = formatRender({ ...result, configFile: '/etc/wmon/wmon.yaml', configExists: false });
    expect(elsewhere.split('\n')[0]).toBe(
      `${path.relative(process.cwd(), '/etc/wmon/wmon.yaml')} not found: rendered the defaults.`,
    );
  });

  it('colours the marks on a terminal: new green, changed yellow, removed red', () => {
    chalk.level = 1;
    const lines = formatRender(result).split('\n');
    expect(lines[0]).toBe(`${chalk.yellow('~')} prometheus/prometheus.yml`);
    expect(lines[1]).toBe(`${chalk.green('+')} prometheus/rules/webhook.yml`);
    expect(lines[3]).toBe(`${chalk.red('-')} grafana/dashboards/old.json`);
    expect(lines[0]).toContain('\u001b[33m');
  });
});
