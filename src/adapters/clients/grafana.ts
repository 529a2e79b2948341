/**
 * Grafana HTTP API (https://grafana.com/docs/grafana/latest/developers/http_api/): health, dashboards,
 * folder/dashboard search, folders and data sources. Authenticates with basic auth (the admin user) or
 * a service-account token (`Authorization: Bearer`). Grafana never returns data-source secrets: only
 * `secureJsonFields` says which ones are set, so a backup records their names and the restore asks for
 * the values.
 */
import { z } from 'zod';
import { createTransport, type ClientOptions } from './http.js';

/** A dashboard model as Grafana stores it; only `title` is required, the rest passes through. */
export interface DashboardJson {
  readonly uid?: string | null;
  readonly title: string;
  readonly version?: number;
  readonly [key: string]: unknown;
}

export interface GrafanaHealth {
  /** True when Grafana answers 200 and its database is `ok`. */
  readonly ok: boolean;
  /** `ok`, or `failing` (HTTP 503). */
  readonly database: string;
  /** Empty when Grafana hides its version. */
  readonly version: string;
  readonly commit: string;
}

export interface DashboardHit {
  readonly uid: string;
  readonly title: string;
  readonly url: string;
  readonly tags: readonly string[];
  /** Absent for dashboards at the root. */
  readonly folderUid: string | undefined;
  readonly folderTitle: string | undefined;
}

export interface DashboardWithMeta {
  readonly dashboard: DashboardJson;
  readonly meta: {
    readonly folderUid: string | undefined;
    readonly folderTitle: string | undefined;
    readonly url: string | undefined;
    readonly version: number | undefined;
    /** True for dashboards from provisioning files (the API cannot overwrite those). */
    readonly provisioned: boolean;
  };
}

export interface UpsertDashboardOptions {
  /** The folder to save into; omitted: the root (Grafana moves an existing dashboard there). */
  readonly folderUid?: string;
  /** Replace a dashboard with the same uid whatever its version. */
  readonly overwrite?: boolean;
  /** Version-history message. */
  readonly message?: string;
}

export interface SavedDashboard {
  readonly uid: string;
  readonly url: string;
  readonly version: number;
}

export interface GrafanaFolder {
  readonly uid: string;
  readonly title: string;
}

export interface DatasourceInput {
  readonly uid: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
  /** Default `proxy`. */
  readonly access?: 'proxy' | 'direct';
  readonly isDefault?: boolean;
  readonly basicAuth?: boolean;
  readonly basicAuthUser?: string;
  readonly user?: string;
  readonly database?: string;
  readonly jsonData?: Readonly<Record<string, unknown>>;
  /** Secrets to set; on update, secrets not named here keep their stored values. */
  readonly secureJsonData?: Readonly<Record<string, string>>;
}

export interface GrafanaClient {
  /** `GET /api/health` (no auth needed). */
  health(): Promise<GrafanaHealth>;
  /** `GET /api/search?type=dash-db`: every dashboard the credentials can see. */
  searchDashboards(options?: {
    readonly query?: string;
    readonly folderUids?: readonly string[];
  }): Promise<DashboardHit[]>;
  /** `GET /api/dashboards/uid/:uid`; undefined when there is no such dashboard. */
  getDashboard(uid: string): Promise<DashboardWithMeta | undefined>;
  /** `POST /api/dashboards/db`: creates or updates by uid (412 when it changed meanwhile, unless overwrite). */
  upsertDashboard(dashboard: DashboardJson, options?: UpsertDashboardOptions): Promise<SavedDashboard>;
  /** `GET /api/folders`. */
  folders(): Promise<GrafanaFolder[]>;
  /** `GET /api/folders/:uid`; undefined when there is no such folder. */
  getFolder(uid: string): Promise<GrafanaFolder | undefined>;
  /** `POST /api/folders` (409 if it exists). */
  createFolder(folder: { readonly uid: string; readonly title: string }): Promise<GrafanaFolder>;
  /** Every data source with the names of its secure fields (`GET /api/datasources`, then each by uid). */
  datasources(): Promise<GrafanaDatasource[]>;
  /** `GET /api/datasources/uid/:uid`; undefined when there is no such data source. */
  getDatasource(uid: string): Promise<GrafanaDatasource | undefined>;
  /** Creates (`POST /api/datasources`) or updates (`PUT /api/datasources/uid/:uid`) by uid. */
  createOrUpdateDatasource(
    input: DatasourceInput,
  ): Promise<{ readonly created: boolean; readonly datasource: GrafanaDatasource }>;
  /**
   * `POST /api/admin/provisioning/{dashboards|datasources}/reload` (a Grafana server admin): re-read the
   * provisioning files now instead of at the next poll. Provisioned dashboards cannot be saved over the API,
   * so this is how changed dashboard files reach a running Grafana.
   */
  reloadProvisioning(kind: 'dashboards' | 'datasources'): Promise<void>;
}

const healthSchema = z.object({
  database: z.string(),
  version: z.string().optional(),
  commit: z.string().optional(),
});

const hitSchema = z.object({
  uid: z.string(),
  title: z.string(),
  url: z.string(),
  type: z.string(),
  tags: z.array(z.string()).nullish(),
  folderUid: z.string().optional(),
  folderTitle: z.string().optional(),
});

const dashboardSchema = z.looseObject({ title: z.string(), uid: z.string().nullish(), version: z.number().optional() });

const dashboardWithMetaSchema = z.object({
  dashboard: dashboardSchema,
  meta: z.object({
    folderUid: z.string().optional(),
    folderTitle: z.string().optional(),
    url: z.string().optional(),
    version: z.number().optional(),
    provisioned: z.boolean().optional(),
  }),
});

const savedSchema = z.object({ uid: z.string(), url: z.string(), version: z.number(), status: z.string().optional() });

const folderSchema = z.object({ uid: z.string(), title: z.string() });

/**
 * A data source as wmon keeps it (secrets named, never their values): what the client returns, and the
 * record a backup archives (features/archive/manifest.ts parses archived ones with this same schema).
 */
export const datasourceRecordSchema = z.object({
  uid: z.string(),
  name: z.string(),
  type: z.string(),
  url: z.string(),
  access: z.string(),
  isDefault: z.boolean(),
  basicAuth: z.boolean(),
  basicAuthUser: z.string(),
  user: z.string(),
  database: z.string(),
  jsonData: z.record(z.string(), z.unknown()),
  readOnly: z.boolean(),
  /** Names of the secure fields that are set (e.g. `basicAuthPassword`); never their values. */
  secureFields: z.array(z.string()),
});

/** Grafana's answer (optional fields absent, secure fields as a map) turned into the record. */
const datasourceSchema = datasourceRecordSchema
  .omit({ secureFields: true })
  .extend({
    basicAuthUser: z.string().optional(),
    user: z.string().optional(),
    database: z.string().optional(),
    jsonData: z.record(z.string(), z.unknown()).nullish(),
    readOnly: z.boolean().optional(),
    secureJsonFields: z.record(z.string(), z.boolean()).nullish(),
  })
  .transform(({ secureJsonFields, basicAuthUser, user, database, jsonData, readOnly, ...d }) => ({
    ...d,
    basicAuthUser: basicAuthUser ?? '',
    user: user ?? '',
    database: database ?? '',
    jsonData: (jsonData ?? {}) as Readonly<Record<string, unknown>>,
    readOnly: readOnly ?? false,
    secureFields: Object.entries(secureJsonFields ?? {})
      .filter(([, set]) => set)
      .map(([name]) => name)
      .sort() as readonly string[],
  }));

/** A data source as Grafana holds it (secrets named, never their values). */
export type GrafanaDatasource = Readonly<z.output<typeof datasourceSchema>>;

const datasourceListSchema = z.array(z.object({ uid: z.string(), name: z.string() }));
const datasourceSavedSchema = z.object({ datasource: datasourceSchema, message: z.string().optional() });

export function createGrafanaClient(options: ClientOptions): GrafanaClient {
  const http = createTransport('Grafana', options);

  const getDatasource = async (uid: string): Promise<GrafanaDatasource | undefined> => {
    const spec = { path: `/api/datasources/uid/${encodeURIComponent(uid)}`, okStatuses: [404] };
    const res = await http.request(spec);
    if (res.status === 404) return undefined;
    const parsed = datasourceSchema.safeParse(res.data);
    if (!parsed.success)
      return http.badResponse(spec, `unexpected data source: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  };

  return {
    async health() {
      const spec = { path: '/api/health', okStatuses: [503] };
      const res = await http.request(spec);
      const parsed = healthSchema.safeParse(res.data);
      if (!parsed.success) return http.badResponse(spec, `unexpected health answer (HTTP ${res.status})`);
      const h = parsed.data;
      return {
        ok: res.status === 200 && h.database === 'ok',
        database: h.database,
        version: h.version ?? '',
        commit: h.commit ?? '',
      };
    },

    async searchDashboards(opts = {}) {
      const hits = await http.json(
        {
          path: '/api/search',
          query: { type: 'dash-db', query: opts.query, folderUIDs: opts.folderUids, limit: 5000 },
        },
        z.array(hitSchema),
      );
      return hits
        .filter((h) => h.type === 'dash-db')
        .map((h) => ({
          uid: h.uid,
          title: h.title,
          url: h.url,
          tags: h.tags ?? [],
          folderUid: h.folderUid || undefined,
          folderTitle: h.folderTitle,
        }));
    },

    async getDashboard(uid) {
      const spec = { path: `/api/dashboards/uid/${encodeURIComponent(uid)}`, okStatuses: [404] };
      const res = await http.request(spec);
      if (res.status === 404) return undefined;
      const parsed = dashboardWithMetaSchema.safeParse(res.data);
      if (!parsed.success)
        return http.badResponse(spec, `unexpected dashboard: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const { dashboard, meta } = parsed.data;
      return {
        dashboard: dashboard as DashboardJson,
        meta: {
          folderUid: meta.folderUid || undefined,
          folderTitle: meta.folderTitle,
          url: meta.url,
          version: meta.version ?? dashboard.version,
          provisioned: meta.provisioned ?? false,
        },
      };
    },

    async upsertDashboard(dashboard, opts = {}) {
      // id null: Grafana finds an existing dashboard by uid; ids differ from one Grafana to another.
      const body = {
        dashboard: { ...dashboard, id: null },
        ...(opts.folderUid ? { folderUid: opts.folderUid } : {}),
        overwrite: opts.overwrite ?? false,
        ...(opts.message ? { message: opts.message } : {}),
      };
      const saved = await http.json({ method: 'POST', path: '/api/dashboards/db', body }, savedSchema);
      return { uid: saved.uid, url: saved.url, version: saved.version };
    },

    async folders() {
      const list = await http.json({ path: '/api/folders', query: { limit: 1000 } }, z.array(folderSchema));
      return list.map((f) => ({ uid: f.uid, title: f.title }));
    },

    async getFolder(uid) {
      const spec = { path: `/api/folders/${encodeURIComponent(uid)}`, okStatuses: [404] };
      const res = await http.request(spec);
      if (res.status === 404) return undefined;
      const parsed = folderSchema.safeParse(res.data);
      if (!parsed.success) return http.badResponse(spec, 'unexpected folder');
      return { uid: parsed.data.uid, title: parsed.data.title };
    },

    async createFolder(folder) {
      const f = await http.json(
        { method: 'POST', path: '/api/folders', body: { uid: folder.uid, title: folder.title } },
        folderSchema,
      );
      return { uid: f.uid, title: f.title };
    },

    async datasources() {
      const list = await http.json({ path: '/api/datasources' }, datasourceListSchema);
      // The list leaves out secureJsonFields: read each one for it.
      const all = await Promise.all(list.map((d) => getDatasource(d.uid)));
      return all.filter((d): d is GrafanaDatasource => d !== undefined);
    },

    getDatasource,

    async createOrUpdateDatasource(input) {
      const body = {
        uid: input.uid,
        name: input.name,
        type: input.type,
        url: input.url,
        access: input.access ?? 'proxy',
        isDefault: input.isDefault ?? false,
        basicAuth: input.basicAuth ?? false,
        ...(input.basicAuthUser !== undefined ? { basicAuthUser: input.basicAuthUser } : {}),
        ...(input.user !== undefined ? { user: input.user } : {}),
        ...(input.database !== undefined ? { database: input.database } : {}),
        jsonData: input.jsonData ?? {},
        ...(input.secureJsonData ? { secureJsonData: input.secureJsonData } : {}),
      };
      const existing = await getDatasource(input.uid);
      const saved = existing
        ? await http.json(
            { method: 'PUT', path: `/api/datasources/uid/${encodeURIComponent(input.uid)}`, body },
            datasourceSavedSchema,
          )
        : await http.json({ method: 'POST', path: '/api/datasources', body }, datasourceSavedSchema);
      return { created: !existing, datasource: saved.datasource };
    },

    async reloadProvisioning(kind) {
      await http.request({
        method: 'POST',
        path: `/api/admin/provisioning/${kind}/reload`,
        // The Admin API takes basic auth of a server admin only; no service-account token can use it.
        hint: (status) =>
          status === 403
            ? 'reloading provisioning needs basic auth as a Grafana server admin; service-account tokens cannot'
            : undefined,
      });
    },
  };
}
