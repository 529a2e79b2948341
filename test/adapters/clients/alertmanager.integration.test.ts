/** The Alertmanager client against Debian's real Alertmanager (the version CI runs: scripts/versions.env). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ComponentRequestError,
  createAlertmanagerClient,
  type AlertmanagerClient,
} from '../../../src/adapters/clients/index.js';
import { startAlertmanager, type Daemon } from '../../support/debian-daemons.js';
import { isTested } from '../../support/versions.js';

const CONFIG = `route:
  receiver: default
  group_wait: 1s
receivers:
  - name: default
`;

let alertmanager: Daemon | undefined;
let client: AlertmanagerClient;

beforeAll(async () => {
  alertmanager = await startAlertmanager(CONFIG);
  client = createAlertmanagerClient({ baseUrl: alertmanager.url, timeoutMs: 5000 });
});

afterAll(async () => {
  await alertmanager?.stop();
});

/** Sends an alert the way Prometheus does (`POST /api/v2/alerts`). */
async function fire(labels: Record<string, string>): Promise<void> {
  const res = await fetch(`${alertmanager?.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([
      { labels, annotations: { summary: 'from the test' }, generatorURL: 'http://127.0.0.1:9090/graph' },
    ]),
  });
  expect(res.status).toBe(200);
}

describe('Alertmanager client against a real Alertmanager', () => {
  it('reads readiness and status: version, the loaded config, no cluster', async () => {
    await expect(client.ready()).resolves.toBe(true);
    const status = await client.status();
    expect(isTested('alertmanager', status.version), status.version).toBe(true);
    expect(status.clusterStatus).toBe('disabled');
    expect(status.configYaml).toContain('receiver: default');
    expect(Date.parse(status.uptime)).not.toBeNaN();
  });

  it('creates, lists and expires silences', async () => {
    const endsAt = new Date(Date.now() + 3_600_000);
    const id = await client.createSilence({
      matchers: [{ name: 'alertname', value: 'WmonSilenced', isRegex: false }],
      endsAt,
      createdBy: 'wmon test',
      comment: 'maintenance',
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = (await client.silences()).find((s) => s.id === id);
    expect(listed).toMatchObject({
      state: 'active',
      createdBy: 'wmon test',
      comment: 'maintenance',
      matchers: [{ name: 'alertname', value: 'WmonSilenced', isRegex: false, isEqual: true }],
    });
    expect(Date.parse(listed?.endsAt ?? '')).toBe(endsAt.getTime());

    await client.deleteSilence(id);
    expect((await client.silences()).find((s) => s.id === id)?.state).toBe('expired');
  });

  it('lists alerts, filtered by labels, silenced ones suppressed', async () => {
    await fire({ alertname: 'WmonActive', severity: 'warning' });
    await fire({ alertname: 'WmonSilenced', severity: 'critical' });
    const silence = await client.createSilence({
      matchers: [{ name: 'alertname', value: 'WmonSil.*', isRegex: true }],
      endsAt: new Date(Date.now() + 600_000),
      createdBy: 'wmon test',
      comment: 'quiet',
    });

    const active = await client.alerts({ labels: { alertname: 'WmonActive' } });
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({
      labels: { alertname: 'WmonActive', severity: 'warning' },
      annotations: { summary: 'from the test' },
      state: 'active',
      silencedBy: [],
      generatorURL: 'http://127.0.0.1:9090/graph',
    });
    expect(active[0]?.fingerprint).toMatch(/^[0-9a-f]+$/);

    const silenced = await client.alerts({ labels: { alertname: 'WmonSilenced' } });
    expect(silenced[0]).toMatchObject({ state: 'suppressed', silencedBy: [silence] });
    const notSilenced = await client.alerts({ silenced: false });
    expect(notSilenced.map((a) => a.labels.alertname)).toEqual(['WmonActive']);
  });

  it("passes on Alertmanager's validation and lookup errors", async () => {
    const e1 = await client
      .createSilence({ matchers: [], endsAt: new Date(Date.now() + 60_000), createdBy: 'x', comment: 'y' })
      .catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ComponentRequestError);
    expect((e1 as ComponentRequestError).status).toBe(422);
    expect((e1 as ComponentRequestError).message).toContain('matchers in body should have at least 1 items');

    // Alertmanager 0.28 answers an unknown silence with 404 and an empty body.
    const e2 = await client.deleteSilence('6f7b3b1c-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ComponentRequestError);
    expect((e2 as ComponentRequestError).status).toBe(404);
    expect((e2 as ComponentRequestError).message).toMatch(
      /^Alertmanager: DELETE http:\/\/127\.0\.0\.1:\d+\/api\/v2\/silence\/6f7b3b1c-0000-4000-8000-000000000000 failed: HTTP 404/,
    );
  });

  it('reloads a changed config, and refuses a broken one with the reason', async () => {
    await writeFile(join(alertmanager!.dir, 'alertmanager.yml'), `${CONFIG}  - name: slack-later\n`);
    await client.reload();
    expect((await client.status()).configYaml).toContain('slack-later');

    await writeFile(join(alertmanager!.dir, 'alertmanager.yml'), 'route:\n  receiver: nowhere\nreceivers: []\n');
    const error = await client.reload().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentRequestError);
    expect((error as ComponentRequestError).message).toContain('undefined receiver "nowhere"');
    expect((await client.status()).configYaml).toContain('slack-later');
  });
});
