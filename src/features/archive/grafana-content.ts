/**
 * Grafana's content in a backup, through its HTTP API: folders, dashboards (with their folder) and data
 * sources. Grafana never returns data-source secrets: the backup records which secure fields were set, and
 * a restore says which ones to set again. Provisioned dashboards and data sources come from the rendered
 * files: they are kept in the backup for reference, restored with the files, and never written over the
 * API (Grafana refuses that).
 */
import type { GrafanaClient } from '../../adapters/clients/index.js';
import { dashboardEntry, GRAFANA_DATASOURCES_ENTRY, GRAFANA_FOLDERS_ENTRY } from './format.js';
import {
  dashboardFileSchema,
  datasourcesFileSchema,
  foldersFileSchema,
  type DashboardRecord,
  type DatasourceRecord,
  type Manifest,
} from './manifest.js';

type GrafanaSummary = NonNullable<Manifest['grafana']>;

export interface GrafanaCollected {
  readonly files: ReadonlyArray<{ readonly path: string; readonly data: Buffer }>;
  readonly summary: GrafanaSummary;
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

export async function collectGrafana(client: GrafanaClient): Promise<GrafanaCollected> {
  const folders = (await client.folders()).map((f) => ({ uid: f.uid, title: f.title }));
  // The archive's own allowlist of fields: parsing drops anything else the client may learn to read.
  const datasources: DatasourceRecord[] = datasourcesFileSchema.parse(await client.datasources());
  const files: Array<{ path: string; data: Buffer }> = [
    { path: GRAFANA_FOLDERS_ENTRY, data: json(folders) },
    { path: GRAFANA_DATASOURCES_ENTRY, data: json(datasources) },
  ];
  const dashboards: GrafanaSummary['dashboards'] = [];
  const hits = await client.searchDashboards();
  for (const [i, hit] of hits.entries()) {
    const got = await client.getDashboard(hit.uid);
    if (!got) continue; // deleted meanwhile
    const record: DashboardRecord = {
      dashboard: { ...got.dashboard },
      folderUid: got.meta.folderUid ?? null,
      provisioned: got.meta.provisioned,
    };
    const file = dashboardEntry(hit.uid, i);
    files.push({ path: file, data: json(record) });
    dashboards.push({
      uid: hit.uid,
      title: got.dashboard.title,
      folderUid: record.folderUid,
      provisioned: record.provisioned,
      file,
    });
  }
  return {
    files,
    summary: {
      folders: folders.length,
      dashboards,
      datasources: datasources.map((d) => ({
        uid: d.uid,
        name: d.name,
        type: d.type,
        readOnly: d.readOnly,
        secureFields: d.secureFields,
      })),
    },
  };
}

export interface GrafanaRestored {
  readonly foldersCreated: number;
  readonly dashboardsRestored: number;
  /** Provisioned: they come back with the rendered files. */
  readonly dashboardsProvisioned: number;
  readonly datasourcesRestored: number;
  /** Data sources whose secrets must be set again, by name, with the fields. */
  readonly secretsToSet: ReadonlyArray<{ readonly datasource: string; readonly fields: readonly string[] }>;
}

const parse = <T>(
  small: ReadonlyMap<string, Buffer>,
  path: string,
  schema: { parse(v: unknown): T },
): T | undefined => {
  const data = small.get(path);
  return data ? schema.parse(JSON.parse(data.toString('utf8'))) : undefined;
};

export async function restoreGrafana(
  client: GrafanaClient,
  manifest: Manifest,
  small: ReadonlyMap<string, Buffer>,
  source: string,
): Promise<GrafanaRestored> {
  let foldersCreated = 0;
  for (const f of parse(small, GRAFANA_FOLDERS_ENTRY, foldersFileSchema) ?? []) {
    if (!(await client.getFolder(f.uid))) {
      await client.createFolder(f);
      foldersCreated += 1;
    }
  }
  let dashboardsRestored = 0;
  let dashboardsProvisioned = 0;
  for (const d of manifest.grafana?.dashboards ?? []) {
    const record = parse(small, d.file, dashboardFileSchema)!;
    if (record.provisioned) {
      dashboardsProvisioned += 1;
      continue;
    }
    const { id: _id, ...dashboard } = record.dashboard as typeof record.dashboard & { id?: unknown };
    await client.upsertDashboard(
      { ...dashboard, uid: dashboard.uid ?? d.uid },
      {
        ...(record.folderUid ? { folderUid: record.folderUid } : {}),
        overwrite: true,
        message: `restored by wmon from ${source}`,
      },
    );
    dashboardsRestored += 1;
  }
  let datasourcesRestored = 0;
  const secretsToSet: Array<{ datasource: string; fields: string[] }> = [];
  for (const d of parse(small, GRAFANA_DATASOURCES_ENTRY, datasourcesFileSchema) ?? []) {
    if (d.readOnly) continue; // provisioned: from the rendered files
    const existing = await client.getDatasource(d.uid);
    await client.createOrUpdateDatasource({
      uid: d.uid,
      name: d.name,
      type: d.type,
      url: d.url,
      access: d.access === 'direct' ? 'direct' : 'proxy',
      isDefault: d.isDefault,
      basicAuth: d.basicAuth,
      basicAuthUser: d.basicAuthUser,
      user: d.user,
      database: d.database,
      jsonData: d.jsonData,
    });
    datasourcesRestored += 1;
    // Grafana keeps the secrets of a data source that existed; a new one has none.
    const missing = d.secureFields.filter((f) => !existing?.secureFields.includes(f));
    if (missing.length > 0) secretsToSet.push({ datasource: d.name, fields: missing });
  }
  return { foldersCreated, dashboardsRestored, dashboardsProvisioned, datasourcesRestored, secretsToSet };
}

/** Every dashboard and data source of the backup must answer again. */
export async function checkGrafana(client: GrafanaClient, manifest: Manifest): Promise<string[]> {
  const problems: string[] = [];
  for (const d of manifest.grafana?.dashboards ?? []) {
    const got = await client.getDashboard(d.uid);
    if (!got) problems.push(`the dashboard ${d.uid} ("${d.title}") is not in Grafana`);
    else if (got.dashboard.title !== d.title)
      problems.push(`the dashboard ${d.uid} is titled "${got.dashboard.title}", the backup had "${d.title}"`);
  }
  for (const d of manifest.grafana?.datasources ?? []) {
    if (!(await client.getDatasource(d.uid))) problems.push(`the data source ${d.uid} ("${d.name}") is not in Grafana`);
  }
  return problems;
}
