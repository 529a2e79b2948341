/**
 * Grafana's part of a backup and a restore, against the contract fake (Grafana cannot run here): folders,
 * dashboards with their folder, data sources without their secrets (named for the restore to ask for),
 * provisioned content left to the rendered files, and the check that everything answers afterwards.
 * Also the provisioning reload `wmon update` uses to push changed dashboards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { GRAFANA_DATASOURCES_ENTRY } from '../../../src/features/archive/format.js';
import { checkGrafana, collectGrafana, restoreGrafana } from '../../../src/features/archive/grafana-content.js';
import type { Manifest } from '../../../src/features/archive/manifest.js';
import { createGrafanaClient } from '../../../src/adapters/clients/index.js';
import { startFakeGrafana, type FakeGrafana } from '../../support/fakes/grafana.js';

const users = { admin: 'pw' };
const clientFor = (g: FakeGrafana) =>
  createGrafanaClient({ baseUrl: g.url, auth: { kind: 'basic', username: 'admin', password: 'pw' }, timeoutMs: 2000 });

/** What wmon's provisioning puts in every Grafana: its folder, a dashboard and the Prometheus data source. */
function provision(g: FakeGrafana): void {
  g.seedFolder('wmon-webhook', 'Webhook');
  g.seedDashboard(
    { uid: 'wmon-overview', title: 'Webhook Overview', panels: [] },
    { folderUid: 'wmon-webhook', provisioned: true },
  );
  g.seedDatasource({
    uid: 'wmon-prometheus',
    name: 'Prometheus',
    type: 'prometheus',
    url: 'http://prometheus:9090',
    isDefault: true,
    readOnly: true,
  });
}

let source: FakeGrafana;
let target: FakeGrafana;

beforeEach(async () => {
  source = await startFakeGrafana({ users });
  target = await startFakeGrafana({ users });
  provision(source);
  source.seedFolder('team', 'Team');
  source.seedDashboard(
    { uid: 'team-board', title: 'Team board', panels: [{ id: 1, title: 'Requests' }] },
    { folderUid: 'team' },
  );
  source.seedDashboard({ uid: 'root-board', title: 'At the root', panels: [] });
  source.seedDatasource({
    uid: 'pg',
    name: 'Orders DB',
    type: 'postgres',
    url: 'db:5432',
    secureJsonData: { password: 'hunter2' },
    jsonData: { sslmode: 'require' },
  });
});

afterEach(async () => {
  await source.close();
  await target.close();
});

async function backUp() {
  const collected = await collectGrafana(clientFor(source));
  const small = new Map(collected.files.map((f) => [f.path, f.data]));
  const manifest = { grafana: collected.summary } as Manifest;
  return { collected, small, manifest };
}

describe("Grafana's content in a backup", () => {
  it('holds folders, dashboards with their folder, and data sources with the names of their secrets, never the values', async () => {
    const { collected, small } = await backUp();
    expect(collected.summary.folders).toBe(2);
    expect(collected.summary.dashboards.map((d) => [d.uid, d.folderUid, d.provisioned]).sort()).toEqual([
      ['root-board', null, false],
      ['team-board', 'team', false],
      ['wmon-overview', 'wmon-webhook', true],
    ]);
    expect(collected.summary.datasources.find((d) => d.uid === 'pg')).toEqual({
      uid: 'pg',
      name: 'Orders DB',
      type: 'postgres',
      readOnly: false,
      secureFields: ['password'],
    });
    const everything = collected.files.map((f) => f.data.toString('utf8')).join('\n');
    expect(everything).not.toContain('hunter2');
    expect(
      (JSON.parse(small.get(GRAFANA_DATASOURCES_ENTRY)!.toString('utf8')) as Array<{ uid: string }>).find(
        (d) => d.uid === 'pg',
      ),
    ).toMatchObject({ uid: 'pg', jsonData: { sslmode: 'require' }, secureFields: ['password'] });
  });

  it('restores them into a fresh Grafana, leaves provisioned content to the files, and names the secrets to set again', async () => {
    const { small, manifest } = await backUp();
    provision(target);
    const client = clientFor(target);
    const r = await restoreGrafana(client, manifest, small, 'backup_20250524_101500.tar.gz');
    expect(r).toEqual({
      foldersCreated: 1,
      dashboardsRestored: 2,
      dashboardsProvisioned: 1,
      datasourcesRestored: 1,
      secretsToSet: [{ datasource: 'Orders DB', fields: ['password'] }],
    });
    expect(target.storedDashboard('team-board')).toMatchObject({
      folderUid: 'team',
      model: { title: 'Team board', panels: [{ id: 1, title: 'Requests' }] },
    });
    expect(target.storedDashboard('root-board')?.folderUid).toBe('');
    expect(target.storedDatasource('pg')).toEqual({ secureJsonData: {}, jsonData: { sslmode: 'require' } });
    expect(await checkGrafana(client, manifest)).toEqual([]);
    // Restoring again changes nothing that matters, and Grafana keeps secrets set meanwhile.
    await client.createOrUpdateDatasource({
      uid: 'pg',
      name: 'Orders DB',
      type: 'postgres',
      url: 'db:5432',
      secureJsonData: { password: 'new' },
    });
    const again = await restoreGrafana(client, manifest, small, 'backup_20250524_101500.tar.gz');
    expect(again.foldersCreated).toBe(0);
    expect(again.secretsToSet).toEqual([]);
    expect(target.storedDatasource('pg')?.secureJsonData).toEqual({ password: 'new' });
  });

  it('reports what does not answer after a restore', async () => {
    const { manifest } = await backUp();
    const problems = await checkGrafana(clientFor(target), manifest);
    expect(problems).toEqual(
      expect.arrayContaining([
        'the dashboard team-board ("Team board") is not in Grafana',
        'the data source pg ("Orders DB") is not in Grafana',
      ]),
    );
  });
});

describe('pushing changed dashboards to a running Grafana', () => {
  it('asks Grafana to re-read its provisioning (admin API)', async () => {
    let reloaded = 0;
    target.onProvisioningReload((kind) => {
      if (kind === 'dashboards') {
        reloaded += 1;
        target.seedDashboard(
          { uid: 'wmon-overview', title: 'Webhook Overview', panels: [{ id: 1, title: 'new' }] },
          { folderUid: 'wmon-webhook', provisioned: true },
        );
      }
    });
    target.seedFolder('wmon-webhook', 'Webhook');
    const client = clientFor(target);
    await client.reloadProvisioning('datasources');
    await client.reloadProvisioning('dashboards');
    expect(target.provisioningReloads()).toEqual(['datasources', 'dashboards']);
    expect(reloaded).toBe(1);
    expect((await client.getDashboard('wmon-overview'))?.dashboard).toMatchObject({
      panels: [{ id: 1, title: 'new' }],
    });
  });

  it('is refused to a non-admin token', async () => {
    const g = await startFakeGrafana({ users, tokens: { glsa_editor: 'Editor' } });
    try {
      const editor = createGrafanaClient({ baseUrl: g.url, auth: { kind: 'bearer', token: 'glsa_editor' } });
      await expect(editor.reloadProvisioning('dashboards')).rejects.toThrow(/403|Permission denied/);
    } finally {
      await g.close();
    }
  });
});
