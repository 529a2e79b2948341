import path from 'node:path';

import { ROUTES } from '@wmon/contract';

import type { LoadedConfig } from '../core/config/load.js';
import type { ComponentUrl, Credentials, UrlsResultJson } from '../results.js';
import { buildStack, isEnabled } from '../core/model/stack.js';
import { GENERATED_SECRET_FILES, readKeptSecret } from '../adapters/stack-dir/secrets.js';

/** Every enabled component's URL, and where the credentials are (their values only when asked). */
export async function stackUrls(loaded: LoadedConfig, opts: { showCredentials: boolean }): Promise<UrlsResultJson> {
  const { config } = loaded;
  const stack = buildStack(config);
  const stackDir = path.resolve(loaded.dir, config.stackDir);
  const components: ComponentUrl[] = stack.components.map((m) => {
    const extra: Record<string, string> = {};
    const host = new URL(m.url).host.replace(/:\d+$/, '');
    for (const p of m.ports.slice(1)) extra[p.name] = `http://${host}:${p.hostPort}`;
    if (m.id === 'webhook') extra.webhook = `${m.url}${ROUTES.webhook}`;
    if (m.id === 'grafana') extra.dashboards = `${m.url}/dashboards/f/wmon-webhook/`;
    return { component: m.id, title: m.title, url: m.url, extra };
  });
  const credentials: { -readonly [K in keyof Credentials]: Credentials[K] } = {};
  if (isEnabled(config, 'grafana')) {
    const file = path.join(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword);
    const password = opts.showCredentials ? await readKeptSecret(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword) : undefined;
    credentials.grafana = { user: config.grafana.adminUser, passwordFile: file, ...(password ? { password } : {}) };
  }
  if (isEnabled(config, 'webhook')) {
    const file = path.join(stackDir, GENERATED_SECRET_FILES.stripeWebhookSecret);
    const secret = opts.showCredentials ? await readKeptSecret(stackDir, GENERATED_SECRET_FILES.stripeWebhookSecret) : undefined;
    credentials.webhook = { secretFile: file, ...(secret ? { secret } : {}) };
  }
  return { project: stack.project, components, credentials };
}
