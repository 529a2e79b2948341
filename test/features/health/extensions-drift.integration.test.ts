/**
 * Drift with wmon.yaml's extensions, against the real Prometheus and Alertmanager (the versions CI runs): what
 * the user adds (scrape jobs, global settings, rule files, routes and receivers) is part of what wmon renders,
 * so a stack running it has no drift; the same stack compared with wmon's files alone would.
 */
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  createAlertmanagerClient,
  createPrometheusClient,
  type PrometheusClient,
} from '../../../src/adapters/clients/index.js';
import { loadExtensions } from '../../../src/core/config/extensions.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';
import {
  diffAlertmanagerConfig,
  diffPrometheusConfig,
  diffRules,
  mergedRules,
} from '../../../src/features/health/drift.js';
import { startRenderedDaemons, type Daemon } from '../../support/debian-daemons.js';
import { writeExtensions } from '../../support/extensions.js';
import { tempDir } from '../../support/tmp.js';

let prometheus: Daemon | undefined;
let alertmanager: Daemon | undefined;
let prom: PrometheusClient;
let files: ReturnType<typeof renderStack>['files'];
let plain: ReturnType<typeof renderStack>['files'];
const text = (p: string, from = files) => from.find((f) => f.path === p)!.contents;

beforeAll(async () => {
  const dir = await tempDir('wmon-ext-drift-');
  const yaml =
    'components:\n  webhook: {enabled: false}\nhandler:\n  targets: ["127.0.0.1:1"]\n  metricsPrefix: payments_\n' +
    (await writeExtensions(dir, { extraTargets: ['127.0.0.1:2'], receiverUrl: 'http://127.0.0.1:3/alerts' })).all;
  const config = parseConfigText(yaml, path.join(dir, 'wmon.yaml'));
  files = renderStack(config, loadExtensions(config, dir)).files;
  plain = renderStack(config).files;
  ({ prometheus, alertmanager } = await startRenderedDaemons(files));
  prom = createPrometheusClient({ baseUrl: prometheus.url, timeoutMs: 5000 });
});

afterAll(async () => {
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
});

describe('drift with extensions, against the real dumps', () => {
  it('finds none in Prometheus: the extra job, global settings and rule file are what wmon renders', async () => {
    const running = parse(await prom.statusConfig()) as { scrape_configs: Array<{ job_name: string }> };
    expect(running.scrape_configs.map((j) => j.job_name)).toContain('orders-api');
    const groups = await prom.rules();
    expect(groups.map((g) => g.name)).toContain('orders-api');
    expect(diffPrometheusConfig(parse(text('prometheus/prometheus.yml')) as Record<string, unknown>, running)).toEqual(
      [],
    );
    expect(diffRules(mergedRules(files), groups)).toEqual([]);

    // Compared with wmon's own rule file alone, the user's would be drift: the merge is what hides it.
    expect(diffRules(mergedRules(plain), groups)).toEqual([
      expect.stringMatching(
        /^rule group orders-api \(.*extra-orders-rules\.yml\): loaded, but wmon\.yaml does not render it$/,
      ),
    ]);
  });

  it('finds none in Alertmanager: the fragment’s route, receiver and inhibit rule are what wmon renders', async () => {
    const status = await createAlertmanagerClient({ baseUrl: alertmanager!.url, timeoutMs: 5000 }).status();
    const running = parse(status.configYaml) as Record<string, unknown>;
    expect(
      diffAlertmanagerConfig(parse(text('alertmanager/alertmanager.yml')) as Record<string, unknown>, running),
    ).toEqual([]);
    expect(
      diffAlertmanagerConfig(parse(text('alertmanager/alertmanager.yml', plain)) as Record<string, unknown>, running),
    ).not.toEqual([]);
  });
});
