import path from 'node:path';

import { ROUTES } from '@wmon/contract';

import { GENERATED_SECRET_FILES, readKeptSecret } from '../adapters/stack-dir/secrets.js';
import type { StackContext } from '../context.js';
import { hostForClients } from '../core/model/stack.js';
import type { ComponentUrl, Credentials, UrlsResultJson } from '../results.js';

/** Every enabled component's URL, and where the credentials are (their values only when asked). */
export async function stackUrls(ctx: StackContext, opts: { showCredentials: boolean }): Promise<UrlsResultJson> {
  const { config, stack, stackDir } = ctx;
  const components: ComponentUrl[] = stack.components.map((m) => {
    const extra: Record<string, string> = {};
    for (const p of m.ports.slice(1).filter((port) => !port.gossip))
      extra[p.name] = `http://${hostForClients(p.hostIp)}:${p.hostPort}`;
    if (m.id === 'webhook') extra.webhook = `${m.url}${ROUTES.webhook}`;
    if (m.id === 'grafana') extra.dashboards = `${m.url}/dashboards/f/wmon-webhook/`;
    return { component: m.id, title: m.title, url: m.url, extra };
  });
  const credentials: { -readonly [K in keyof Credentials]: Credentials[K] } = {};
  const kept = async (file: string) => (opts.showCredentials ? await readKeptSecret(stackDir, file) : undefined);
  if (ctx.component('grafana')) {
    const password = await kept(GENERATED_SECRET_FILES.grafanaAdminPassword);
    const passwordFile = path.join(stackDir, GENERATED_SECRET_FILES.grafanaAdminPassword);
    credentials.grafana = { user: config.grafana.adminUser, passwordFile, ...(password ? { password } : {}) };
  }
  if (config.auth) {
    const password = opts.showCredentials ? ctx.webAuth()?.password : undefined;
    credentials.auth = {
      user: config.auth.username,
      passwordFile: path.join(stackDir, GENERATED_SECRET_FILES.authPassword),
      ...(password ? { password } : {}),
      components: stack.components.filter((m) => m.readiness.authenticated).map((m) => m.id),
    };
  }
  if (ctx.component('webhook')) {
    const secret = await kept(GENERATED_SECRET_FILES.stripeWebhookSecret);
    credentials.webhook = {
      secretFile: path.join(stackDir, GENERATED_SECRET_FILES.stripeWebhookSecret),
      ...(secret ? { secret } : {}),
    };
  }
  return { project: stack.project, components, credentials };
}
