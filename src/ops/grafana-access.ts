import path from 'node:path';

import { createGrafanaClient, type GrafanaClient } from '../adapters/clients/index.js';
import type { LoadedConfig } from '../core/config/load.js';
import { readSecret } from '../core/config/secrets.js';
import { WmonError } from '../errors.js';
import { buildStack } from '../core/model/stack.js';
import { GENERATED_SECRET_FILES, readKeptSecret } from '../adapters/stack-dir/secrets.js';

/**
 * A Grafana client for the stack's Grafana, as its admin (the configured password, or the one wmon
 * generated into the stack directory). Undefined when Grafana is switched off.
 */
export async function stackGrafanaClient(loaded: LoadedConfig, opts: { timeoutMs?: number } = {}): Promise<GrafanaClient | undefined> {
  const { config } = loaded;
  const grafana = buildStack(config).components.find((c) => c.id === 'grafana');
  if (!grafana) return undefined;
  const stackDir = path.resolve(loaded.dir, config.stackDir);
  const password =
    readSecret(config, 'grafanaAdminPassword', { env: process.env, baseDir: loaded.dir }) ??
    (await readKeptSecret(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword));
  if (!password) {
    throw new WmonError(`No Grafana admin password: ${path.join(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword)} is missing.`, {
      code: 'GRAFANA_PASSWORD_MISSING',
      suggestions: ['Run `wmon init` (it generates the password), or set grafana.adminPassword in wmon.yaml.'],
    });
  }
  return createGrafanaClient({
    baseUrl: grafana.url,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    auth: { kind: 'basic', username: config.grafana.adminUser, password },
  });
}
