/** The versions the real Prometheus, Alertmanager and node exporter report, read as wmon init reads them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkRunningVersion, runningVersion } from '../../src/ops/versions.js';
import { startAlertmanager, startNodeExporter, startPrometheus, type Daemon } from '../support/debian-daemons.js';
import { isTested } from '../support/versions.js';

let prometheus: Daemon | undefined;
let alertmanager: Daemon | undefined;
let nodeExporter: Daemon | undefined;

beforeAll(async () => {
  [prometheus, alertmanager, nodeExporter] = await Promise.all([
    startPrometheus(() => ({ 'prometheus.yml': 'global:\n  scrape_interval: 15s\n' }), { plain: true }),
    startAlertmanager('route:\n  receiver: default\nreceivers:\n  - name: default\n'),
    startNodeExporter(),
  ]);
});

afterAll(async () => {
  await Promise.all([prometheus?.stop(), alertmanager?.stop(), nodeExporter?.stop()]);
});

describe('running versions', () => {
  it("are read from each component's API, are the tested ones, and pass the check", async () => {
    const daemons = { prometheus: prometheus!, alertmanager: alertmanager!, nodeExporter: nodeExporter! } as const;
    for (const [component, daemon] of Object.entries(daemons) as [keyof typeof daemons, Daemon][]) {
      const version = await runningVersion(component, daemon.url);
      expect(version, component).toBeDefined();
      expect(isTested(component, version!), `${component} ${version}`).toBe(true);
      await expect(checkRunningVersion(component, daemon.url, component)).resolves.toBeUndefined();
    }
  });
});
