/** `wmon urls` (and the end of init's summary): every URL, and where the credentials are. */
import Table from 'cli-table3';

import type { ComponentId } from '../../core/config/schema.js';
import { TITLES } from '../../core/model/stack.js';
import type { Credentials, UrlsResultJson } from '../../results.js';

export function formatUrls(r: UrlsResultJson): string {
  const table = new Table({ head: ['component', 'url', 'also'], style: { head: [], border: [] } });
  for (const c of r.components) {
    table.push([
      c.title,
      c.url,
      Object.entries(c.extra)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    ]);
  }
  return [table.toString(), ...formatCredentials(r.credentials)].join('\n');
}

function formatCredentials(c: Credentials): string[] {
  const lines: string[] = [];
  if (c.grafana) {
    lines.push(
      c.grafana.password
        ? `Grafana: user ${c.grafana.user}, password ${c.grafana.password}`
        : `Grafana: user ${c.grafana.user}, password in ${c.grafana.passwordFile} (or \`wmon urls --show-credentials\`)`,
    );
  }
  if (c.auth) {
    const who = c.auth.components.map((id) => TITLES[id as ComponentId] ?? id).join(', ');
    lines.push(
      c.auth.password
        ? `${who}: user ${c.auth.user}, password ${c.auth.password}`
        : `${who}: user ${c.auth.user}, password in ${c.auth.passwordFile} (or \`wmon urls --show-credentials\`)`,
    );
  }
  if (c.webhook) {
    lines.push(
      c.webhook.secret
        ? `Stripe webhook signing secret: ${c.webhook.secret}`
        : `Stripe webhook signing secret: in ${c.webhook.secretFile}`,
    );
  }
  return lines;
}
