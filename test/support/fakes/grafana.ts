/**
 * A contract fake of Grafana 12.1's HTTP API, for tests that cannot run Grafana. It follows the HTTP API
 * reference for Grafana 12.1 (https://grafana.com/docs/grafana/v12.1/developers/http_api/<page>/, the pages
 * of docs/sources/developers/http_api in grafana/grafana) and, where the pages are silent, Grafana's source:
 *   - other.md, "Health API": `GET /api/health` needs no credentials; `{database, version, commit}`, pretty
 *     printed as `application/json; charset=UTF-8`; 503 with `database: "failing"` (pkg/api/http_server.go);
 *   - folder_dashboard_search.md: `GET /api/search` with `query`, `type` (`dash-db`, `dash-folder`),
 *     `folderUIDs`, `limit` (default 1000, at most 5000) and `page` (from 1); hits with uid, title, url, type,
 *     tags, and folderUid/folderTitle/folderUrl for dashboards in a folder;
 *   - dashboard.md: `POST /api/dashboards/db` (200 `{id, uid, url, status, version, slug}`; 412
 *     `{message, status}` for `version-mismatch`, and `name-exists` for a same title in the same folder, the
 *     check Grafana's dashboard service has long made; 400 `Cannot save provisioned dashboard`, `folder not
 *     found`, `uid too long, max 40 characters`, `uid contains illegal characters`;
 *     pkg/services/dashboards/errors.go), `GET /api/dashboards/uid/:uid` (`{dashboard, meta}`, 404
 *     `Dashboard not found`);
 *   - folder.md: `GET /api/folders` (`limit`, default 1000, and `page`), `GET /api/folders/:uid` (404), `POST
 *     /api/folders` (409 when it exists);
 *   - data_source.md: `GET /api/datasources` (no `secureJsonFields`), `GET /api/datasources/uid/:uid` (with
 *     them; secrets never returned), `POST /api/datasources` (`{datasource, id, message: "Datasource
 *     added", name}`), `PUT /api/datasources/uid/:uid` (secrets left out keep their values; a provisioned,
 *     read-only one: 403 `Cannot update read-only data source`);
 *   - admin.md, "Reload provisioning configurations": `POST /api/admin/provisioning/{dashboards,datasources}
 *     /reload`; the Admin API "does not currently work with an API Token": only basic auth of a Grafana server
 *     admin (the fake's users all are), whatever a token's role;
 *   - authentication.md: basic auth or `Authorization: Bearer <service account token>`. Refusals are 401
 *     with the bodies of pkg/middleware/auth.go (`{"message":"Unauthorized"}` without credentials) and
 *     pkg/services/authn/clients (`Invalid username or password`, `Invalid API key`); a role without the
 *     permission gets the access-control middleware's 403: `{title: "Access denied", message: "You'll need
 *     additional permissions to perform this action. Permissions needed: <action>", accessErrorId}`.
 * State is in memory; `setDatabaseHealthy(false)` makes `/api/health` answer 503 `database: failing`.
 */
import { randomBytes } from 'node:crypto';
import {
  parseJson,
  readAuthorization,
  startFakeServer,
  type FakeRequest,
  type FakeResponse,
  type FakeServerControl,
} from './http.js';

export type GrafanaRole = 'Admin' | 'Editor' | 'Viewer';

export interface FakeGrafanaOptions {
  /** Users for basic auth, name → password (all Admins). Default `{admin: 'admin'}`. */
  readonly users?: Readonly<Record<string, string>>;
  /** Service-account tokens → role. */
  readonly tokens?: Readonly<Record<string, GrafanaRole>>;
  readonly version?: string;
}

interface StoredDashboard {
  id: number;
  uid: string;
  folderUid: string;
  model: Record<string, unknown>;
  version: number;
  provisioned: boolean;
  created: string;
  updated: string;
}

interface StoredFolder {
  id: number;
  uid: string;
  title: string;
  created: string;
}

interface StoredDatasource {
  id: number;
  uid: string;
  name: string;
  type: string;
  access: string;
  url: string;
  user: string;
  database: string;
  basicAuth: boolean;
  basicAuthUser: string;
  withCredentials: boolean;
  isDefault: boolean;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
  readOnly: boolean;
  version: number;
}

export interface FakeGrafana extends FakeServerControl {
  setDatabaseHealthy(healthy: boolean): void;
  /** Put a dashboard in place as provisioning would (`provisioned` ones cannot be saved over the API). */
  seedDashboard(
    model: Record<string, unknown> & { uid: string; title: string },
    opts?: { folderUid?: string; provisioned?: boolean },
  ): void;
  seedFolder(uid: string, title: string): void;
  /** Put a data source in place; `readOnly` as provisioned ones are. */
  seedDatasource(ds: {
    uid: string;
    name: string;
    type: string;
    url: string;
    isDefault?: boolean;
    readOnly?: boolean;
    secureJsonData?: Record<string, string>;
    jsonData?: Record<string, unknown>;
  }): void;
  /** What Grafana stored, secrets included: for tests to check what the client sent. */
  storedDatasource(
    uid: string,
  ): { secureJsonData: Readonly<Record<string, string>>; jsonData: Readonly<Record<string, unknown>> } | undefined;
  storedDashboard(
    uid: string,
  ): { model: Readonly<Record<string, unknown>>; folderUid: string; version: number } | undefined;
  /** Called on `POST /api/admin/provisioning/{kind}/reload` (e.g. to seed what the files now provision). */
  onProvisioningReload(handler: (kind: 'dashboards' | 'datasources') => void): void;
  /** The provisioning reloads asked for, in order. */
  provisioningReloads(): readonly string[];
}

const now = () => new Date().toISOString();

/** The permission Grafana's access control asks for a write to `path` (pkg/api/api.go route table). */
function writePermission(path: string): string {
  if (path.startsWith('/api/dashboards')) return 'any of dashboards:create, dashboards:write';
  if (path.startsWith('/api/folders')) return 'folders:create';
  if (path.startsWith('/api/datasources')) return 'datasources:create';
  return 'unknown';
}
const slugify = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
const newUid = () => randomBytes(7).toString('base64url');

export async function startFakeGrafana(options: FakeGrafanaOptions = {}): Promise<FakeGrafana> {
  const users = options.users ?? { admin: 'admin' };
  const tokens = options.tokens ?? {};
  const version = options.version ?? '12.1.0';
  let databaseHealthy = true;
  let nextId = 1;
  const dashboards = new Map<string, StoredDashboard>();
  const folders = new Map<string, StoredFolder>();
  const datasources = new Map<string, StoredDatasource>();

  const folderUrl = (f: StoredFolder) => `/dashboards/f/${f.uid}/${slugify(f.title)}`;
  const dashboardUrl = (d: StoredDashboard) => `/d/${d.uid}/${slugify(String(d.model.title))}`;
  const folderDto = (f: StoredFolder) => ({
    id: f.id,
    uid: f.uid,
    title: f.title,
    url: folderUrl(f),
    hasAcl: false,
    canSave: true,
    canEdit: true,
    canAdmin: true,
    canDelete: true,
    createdBy: 'admin',
    created: f.created,
    updatedBy: 'admin',
    updated: f.created,
    version: 1,
  });
  // Grafana's two data source shapes: the full one (GET by uid, save answers) and the list item.
  const datasourceBase = (d: StoredDatasource) => ({
    id: d.id,
    uid: d.uid,
    orgId: 1,
    name: d.name,
    type: d.type,
    typeLogoUrl: `public/app/plugins/datasource/${d.type}/img/logo.svg`,
    access: d.access,
    url: d.url,
    user: d.user,
    database: d.database,
    basicAuth: d.basicAuth,
    isDefault: d.isDefault,
    jsonData: d.jsonData,
    readOnly: d.readOnly,
  });
  const datasourceDto = (d: StoredDatasource) => ({
    ...datasourceBase(d),
    basicAuthUser: d.basicAuthUser,
    withCredentials: d.withCredentials,
    secureJsonFields: Object.fromEntries(Object.keys(d.secureJsonData).map((k) => [k, true])),
    version: d.version,
  });
  const datasourceListItem = (d: StoredDatasource) => ({ ...datasourceBase(d), typeName: d.type });

  const err = (status: number, message: string, extra: Record<string, unknown> = {}): FakeResponse => ({
    status,
    json: { message, ...extra },
  });
  /** The access-control middleware's refusal (pkg/services/accesscontrol/middleware.go). */
  const denied = (permissions: string): FakeResponse => ({
    status: 403,
    json: {
      accessErrorId: `ACE${randomBytes(5).toString('hex')}`,
      message: `You'll need additional permissions to perform this action. Permissions needed: ${permissions}`,
      title: 'Access denied',
    },
  });
  const ok = (json: unknown): FakeResponse => ({ status: 200, json });

  /** The caller's role, or the refusal. */
  const authenticate = (req: FakeRequest): { role: GrafanaRole; serverAdmin: boolean } | FakeResponse => {
    const auth = readAuthorization(req.headers);
    switch (auth.kind) {
      case 'none':
        return err(401, 'Unauthorized');
      case 'malformed':
        return err(401, 'Invalid Basic Auth Header', {
          messageId: 'basic-auth.invalid-header',
          statusCode: 401,
          traceID: '',
        });
      case 'basic':
        if (users[auth.username] === undefined || users[auth.username] !== auth.password) {
          return err(401, 'Invalid username or password', {
            messageId: 'password-auth.failed',
            statusCode: 401,
            traceID: '',
          });
        }
        return { role: 'Admin', serverAdmin: true };
      case 'bearer': {
        const role = tokens[auth.token];
        if (!role) return err(401, 'Invalid API key', { messageId: 'api-key.invalid', statusCode: 401, traceID: '' });
        // A service account has an organisation role only: it can never be a Grafana server admin.
        return { role, serverAdmin: false };
      }
    }
  };

  const saveDashboard = (req: FakeRequest): FakeResponse => {
    const parsed = parseJson(req.body);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return err(400, 'bad request data');
    const cmd = parsed.value as { dashboard?: unknown; folderUid?: unknown; overwrite?: unknown; message?: unknown };
    if (typeof cmd.dashboard !== 'object' || cmd.dashboard === null || Array.isArray(cmd.dashboard))
      return err(400, 'bad request data');
    const model = { ...(cmd.dashboard as Record<string, unknown>) };
    const title = typeof model.title === 'string' ? model.title.trim() : '';
    if (!title) return err(400, 'Dashboard title cannot be empty', { status: 'empty-name' });
    const folderUid = typeof cmd.folderUid === 'string' ? cmd.folderUid : '';
    if (folderUid && !folders.has(folderUid)) return err(400, 'folder not found');
    const overwrite = cmd.overwrite === true;
    const uid = typeof model.uid === 'string' && model.uid !== '' ? model.uid : newUid();
    if (uid.length > 40) return err(400, 'uid too long, max 40 characters');
    if (!/^[a-zA-Z0-9\-_]*$/.test(uid)) return err(400, 'uid contains illegal characters');
    const existing = dashboards.get(uid);

    if (existing?.provisioned) return err(400, 'Cannot save provisioned dashboard');
    if (existing && !overwrite && model.version !== existing.version) {
      return err(412, 'The dashboard has been changed by someone else', { status: 'version-mismatch' });
    }
    if (!overwrite) {
      for (const d of dashboards.values()) {
        if (d.uid !== uid && d.folderUid === folderUid && String(d.model.title).toLowerCase() === title.toLowerCase()) {
          return err(412, 'A dashboard with the same name in the folder already exists', { status: 'name-exists' });
        }
      }
    }
    const version = existing ? existing.version + 1 : 1;
    const id = existing?.id ?? nextId++;
    const stored: StoredDashboard = {
      id,
      uid,
      folderUid,
      model: { ...model, id, uid, title, version },
      version,
      provisioned: false,
      created: existing?.created ?? now(),
      updated: now(),
    };
    dashboards.set(uid, stored);
    return ok({
      id: stored.id,
      uid,
      url: dashboardUrl(stored),
      status: 'success',
      version,
      slug: slugify(title),
      ...(folderUid ? { folderUid } : {}),
    });
  };

  const search = (req: FakeRequest): FakeResponse => {
    const type = req.query.get('type');
    const q = (req.query.get('query') ?? '').toLowerCase();
    const folderUids = req.query.getAll('folderUIDs');
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    const rawLimit = Number(req.query.get('limit') ?? 1000);
    const limit = Number.isInteger(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, 5000) : 1000;
    const hits: Record<string, unknown>[] = [];
    if (type !== 'dash-db') {
      for (const f of folders.values()) {
        if (!f.title.toLowerCase().includes(q) || folderUids.length > 0) continue;
        hits.push({
          id: f.id,
          uid: f.uid,
          title: f.title,
          uri: `db/${slugify(f.title)}`,
          url: folderUrl(f),
          slug: '',
          type: 'dash-folder',
          tags: [],
          isStarred: false,
          sortMeta: 0,
        });
      }
    }
    if (type !== 'dash-folder') {
      for (const d of dashboards.values()) {
        const title = String(d.model.title);
        if (!title.toLowerCase().includes(q)) continue;
        if (folderUids.length > 0 && !folderUids.includes(d.folderUid === '' ? 'general' : d.folderUid)) continue;
        const folder = folders.get(d.folderUid);
        hits.push({
          id: d.id,
          uid: d.uid,
          title,
          uri: `db/${slugify(title)}`,
          url: dashboardUrl(d),
          slug: '',
          type: 'dash-db',
          tags: Array.isArray(d.model.tags) ? d.model.tags : [],
          isStarred: false,
          ...(folder
            ? { folderId: folder.id, folderUid: folder.uid, folderTitle: folder.title, folderUrl: folderUrl(folder) }
            : {}),
          sortMeta: 0,
        });
      }
    }
    hits.sort((a, b) => String(a.title).localeCompare(String(b.title)));
    return ok(hits.slice((page - 1) * limit, page * limit));
  };

  const getDashboard = (uid: string): FakeResponse => {
    const d = dashboards.get(uid);
    if (!d) return err(404, 'Dashboard not found');
    const folder = folders.get(d.folderUid);
    return ok({
      dashboard: d.model,
      meta: {
        type: 'db',
        canSave: true,
        canEdit: true,
        canAdmin: true,
        canStar: true,
        canDelete: true,
        slug: slugify(String(d.model.title)),
        url: dashboardUrl(d),
        expires: '0001-01-01T00:00:00Z',
        created: d.created,
        updated: d.updated,
        updatedBy: 'admin',
        createdBy: 'admin',
        version: d.version,
        hasAcl: false,
        isFolder: false,
        folderId: folder?.id ?? 0,
        folderUid: folder?.uid ?? '',
        folderTitle: folder?.title ?? 'General',
        folderUrl: folder ? folderUrl(folder) : '',
        provisioned: d.provisioned,
        provisionedExternalId: d.provisioned ? `${d.uid}.json` : '',
      },
    });
  };

  const createFolder = (req: FakeRequest): FakeResponse => {
    const parsed = parseJson(req.body);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return err(400, 'bad request data');
    const body = parsed.value as { uid?: unknown; title?: unknown };
    const title = typeof body.title === 'string' ? body.title.trim() : '';
    if (!title) return err(400, 'folder title cannot be empty');
    const uid = typeof body.uid === 'string' && body.uid !== '' ? body.uid : newUid();
    if (folders.has(uid)) return err(409, 'a folder with the same uid already exists');
    for (const f of folders.values()) {
      if (f.title.toLowerCase() === title.toLowerCase())
        return err(409, 'a folder or dashboard in the general folder with the same name already exists');
    }
    const folder: StoredFolder = { id: nextId++, uid, title, created: now() };
    folders.set(uid, folder);
    return ok(folderDto(folder));
  };

  const saveDatasource = (req: FakeRequest, uidInPath: string | undefined): FakeResponse => {
    const parsed = parseJson(req.body);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return err(400, 'bad request data');
    const b = parsed.value as Record<string, unknown>;
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
    const name = str('name');
    const type = str('type');
    const access = str('access');
    if (!name || !type || (uidInPath !== undefined && !access))
      return err(400, 'bad request data', {
        fieldNames: ['Name', 'Type', 'Access'].filter((f) => !str(f.toLowerCase())),
      });
    const secure = (
      typeof b.secureJsonData === 'object' && b.secureJsonData !== null ? b.secureJsonData : {}
    ) as Record<string, unknown>;
    const secureStrings = Object.fromEntries(
      Object.entries(secure).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    const jsonData = (typeof b.jsonData === 'object' && b.jsonData !== null ? b.jsonData : {}) as Record<
      string,
      unknown
    >;
    // What a request sets, when it creates a data source and when it updates one.
    const fields = {
      name,
      type,
      url: str('url') ?? '',
      user: str('user') ?? '',
      database: str('database') ?? '',
      basicAuth: b.basicAuth === true,
      basicAuthUser: str('basicAuthUser') ?? '',
      withCredentials: b.withCredentials === true,
      isDefault: b.isDefault === true,
      jsonData,
    };

    if (uidInPath === undefined) {
      const uid = str('uid') || newUid();
      if ([...datasources.values()].some((d) => d.name === name))
        return err(409, 'data source with the same name already exists');
      if (datasources.has(uid)) return err(409, 'data source with the same uid already exists');
      const ds: StoredDatasource = {
        id: nextId++,
        uid,
        ...fields,
        access: access ?? 'proxy',
        secureJsonData: secureStrings,
        readOnly: false,
        version: 1,
      };
      if (ds.isDefault) for (const d of datasources.values()) d.isDefault = false;
      datasources.set(uid, ds);
      return ok({ datasource: datasourceDto(ds), id: ds.id, message: 'Datasource added', name: ds.name });
    }

    const ds = datasources.get(uidInPath);
    if (!ds) return err(404, 'Data source not found');
    if (ds.readOnly) return err(403, 'Cannot update read-only data source');
    if ([...datasources.values()].some((d) => d.name === name && d.uid !== ds.uid))
      return err(409, 'data source with the same name already exists');
    if (typeof b.version === 'number' && b.version !== 0 && b.version < ds.version) {
      return err(409, 'Datasource has already been updated by someone else. Please reload and try again');
    }
    Object.assign(ds, {
      ...fields,
      access,
      // Secrets not sent keep their stored values.
      secureJsonData: { ...ds.secureJsonData, ...secureStrings },
      version: ds.version + 1,
    });
    return ok({ datasource: datasourceDto(ds), id: ds.id, message: 'Datasource updated', name: ds.name });
  };

  const reloads: string[] = [];
  let reloadHandler: ((kind: 'dashboards' | 'datasources') => void) | undefined;

  const server = await startFakeServer((req) => {
    const { method, path } = req;
    if (method === 'GET' && path === '/api/health') {
      const body = { database: databaseHealthy ? 'ok' : 'failing', version, commit: 'fake0000' };
      return {
        status: databaseHealthy ? 200 : 503,
        text: JSON.stringify(body, null, 2),
        contentType: 'application/json; charset=UTF-8',
      };
    }
    if (!path.startsWith('/api/')) return { status: 404, text: 'Not found' };
    const who = authenticate(req);
    if ('status' in who) return who;
    if (method !== 'GET' && !path.startsWith('/api/admin/')) {
      const needed = writePermission(path);
      // Grafana's basic roles: Viewers write nothing; Editors write dashboards and folders, not data sources.
      if (who.role === 'Viewer' || (who.role === 'Editor' && needed.startsWith('datasources:'))) {
        return denied(method === 'PUT' && needed === 'datasources:create' ? 'datasources:write' : needed);
      }
    }

    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/search') return search(req);
    if (method === 'POST' && path === '/api/dashboards/db') return saveDashboard(req);
    if (method === 'GET' && (m = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path)))
      return getDashboard(decodeURIComponent(m[1] ?? ''));
    if (method === 'GET' && path === '/api/folders') {
      const limit = Number(req.query.get('limit') ?? 1000);
      const page = Number(req.query.get('page') ?? 1);
      const list = [...folders.values()]
        .sort((a, b) => a.title.localeCompare(b.title))
        .map((f) => ({ id: f.id, uid: f.uid, title: f.title }));
      return ok(list.slice((page - 1) * limit, page * limit));
    }
    if (method === 'POST' && path === '/api/folders') return createFolder(req);
    if (method === 'GET' && (m = /^\/api\/folders\/([^/]+)$/.exec(path))) {
      const f = folders.get(decodeURIComponent(m[1] ?? ''));
      return f ? ok(folderDto(f)) : err(404, 'folder not found');
    }
    if (method === 'GET' && path === '/api/datasources') {
      return ok(
        [...datasources.values()]
          .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
          .map(datasourceListItem),
      );
    }
    if (method === 'POST' && path === '/api/datasources') return saveDatasource(req, undefined);
    if (method === 'POST' && (m = /^\/api\/admin\/provisioning\/(dashboards|datasources)\/reload$/.exec(path))) {
      // Admin API: Grafana server admins only, which tokens never are (admin.md).
      if (!who.serverAdmin) return denied('provisioning:reload');
      const kind = m[1] as 'dashboards' | 'datasources';
      reloads.push(kind);
      reloadHandler?.(kind);
      return ok({ message: `${kind === 'dashboards' ? 'Dashboards' : 'Datasources'} config reloaded` });
    }
    if ((m = /^\/api\/datasources\/uid\/([^/]+)$/.exec(path))) {
      const uid = decodeURIComponent(m[1] ?? '');
      if (method === 'GET') {
        const d = datasources.get(uid);
        return d ? ok(datasourceDto(d)) : err(404, 'Data source not found');
      }
      if (method === 'PUT') return saveDatasource(req, uid);
    }
    return err(404, 'Not found');
  });

  return {
    ...server,
    setDatabaseHealthy(healthy) {
      databaseHealthy = healthy;
    },
    seedDashboard(model, opts = {}) {
      const id = nextId++;
      dashboards.set(model.uid, {
        id,
        uid: model.uid,
        folderUid: opts.folderUid ?? '',
        model: { ...model, id, version: 1 },
        version: 1,
        provisioned: opts.provisioned ?? false,
        created: now(),
        updated: now(),
      });
    },
    seedFolder(uid, title) {
      folders.set(uid, { id: nextId++, uid, title, created: now() });
    },
    seedDatasource(ds) {
      datasources.set(ds.uid, {
        id: nextId++,
        uid: ds.uid,
        name: ds.name,
        type: ds.type,
        access: 'proxy',
        url: ds.url,
        user: '',
        database: '',
        basicAuth: false,
        basicAuthUser: '',
        withCredentials: false,
        isDefault: ds.isDefault ?? false,
        jsonData: ds.jsonData ?? {},
        secureJsonData: ds.secureJsonData ?? {},
        readOnly: ds.readOnly ?? false,
        version: 1,
      });
    },
    storedDatasource(uid) {
      const d = datasources.get(uid);
      return d ? { secureJsonData: { ...d.secureJsonData }, jsonData: { ...d.jsonData } } : undefined;
    },
    storedDashboard(uid) {
      const d = dashboards.get(uid);
      return d ? { model: d.model, folderUid: d.folderUid, version: d.version } : undefined;
    },
    onProvisioningReload(handler) {
      reloadHandler = handler;
    },
    provisioningReloads: () => [...reloads],
  };
}
