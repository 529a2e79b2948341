import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComponentRequestError, createGrafanaClient, type GrafanaClient } from '../../../src/adapters/clients/index.js';
import { closedPort } from '../../support/fakes/http.js';
import { startFakeGrafana, type FakeGrafana } from '../../support/fakes/grafana.js';
import { failure } from '../../support/failures.js';

const ADMIN = { kind: 'basic', username: 'admin', password: 's3cret' } as const;
const TOKEN = 'glsa_wmon_test_token';

let grafana: FakeGrafana;
let client: GrafanaClient;

beforeEach(async () => {
  grafana = await startFakeGrafana({ users: { admin: 's3cret' }, tokens: { [TOKEN]: 'Admin', glsa_viewer: 'Viewer' } });
  client = createGrafanaClient({ baseUrl: grafana.url, auth: ADMIN, timeoutMs: 2000 });
});

afterEach(async () => {
  await grafana.close();
});

describe('Grafana client against the contract fake', () => {
  it('reads health without credentials, and a failing database as not ok', async () => {
    const anonymous = createGrafanaClient({ baseUrl: grafana.url });
    await expect(anonymous.health()).resolves.toEqual({
      ok: true,
      database: 'ok',
      version: '12.1.0',
      commit: 'fake0000',
    });
    grafana.setDatabaseHealthy(false);
    await expect(anonymous.health()).resolves.toMatchObject({ ok: false, database: 'failing' });
  });

  it('sends basic auth and a bearer token the way Grafana reads them', async () => {
    await client.folders();
    const basic = grafana.requests.at(-1)?.headers.authorization;
    expect(basic).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);

    const withToken = createGrafanaClient({ baseUrl: grafana.url, auth: { kind: 'bearer', token: TOKEN } });
    await expect(withToken.folders()).resolves.toEqual([]);
    expect(grafana.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fails clearly on a wrong password: 401, the component, the URL and "check credentials"', async () => {
    const wrong = createGrafanaClient({
      baseUrl: grafana.url,
      auth: { kind: 'basic', username: 'admin', password: 'nope' },
    });
    const error = await failure(wrong.searchDashboards(), ComponentRequestError);
    expect(error.failure).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.code).toBe('COMPONENT_AUTH_FAILED');
    expect(error.exit).toBe(69);
    expect(error.message).toContain('Grafana');
    expect(error.message).toContain(`${grafana.url}/api/search`);
    expect(error.message).toContain('Invalid username or password');
    expect(error.message).toContain('check credentials');
    expect(error.message).not.toContain('nope');
  });

  it('fails clearly on a bad token and on no credentials at all', async () => {
    const badToken = createGrafanaClient({ baseUrl: grafana.url, auth: { kind: 'bearer', token: 'glsa_revoked' } });
    const e1 = await failure(badToken.datasources(), ComponentRequestError);
    expect(e1.message).toMatch(/HTTP 401: Invalid API key \(check credentials\)/);

    const none = createGrafanaClient({ baseUrl: grafana.url });
    const e2 = await failure(none.folders(), ComponentRequestError);
    expect(e2.message).toMatch(/HTTP 401: Unauthorized/);
  });

  it('reports a Viewer token writing as refused (403)', async () => {
    const viewer = createGrafanaClient({ baseUrl: grafana.url, auth: { kind: 'bearer', token: 'glsa_viewer' } });
    const error = await failure(viewer.createFolder({ uid: 'webhook', title: 'Webhook' }), ComponentRequestError);
    expect(error.status).toBe(403);
    expect(error.message).toContain('Permissions needed: folders:create');
  });

  it('creates folders and lists them; a second create is a 409', async () => {
    await expect(client.createFolder({ uid: 'webhook', title: 'Webhook' })).resolves.toEqual({
      uid: 'webhook',
      title: 'Webhook',
    });
    await expect(client.folders()).resolves.toEqual([{ uid: 'webhook', title: 'Webhook' }]);
    await expect(client.getFolder('webhook')).resolves.toEqual({ uid: 'webhook', title: 'Webhook' });
    await expect(client.getFolder('missing')).resolves.toBeUndefined();
    const error = await failure(client.createFolder({ uid: 'webhook', title: 'Webhook' }), ComponentRequestError);
    expect(error.status).toBe(409);
  });

  it('upserts dashboards by uid into a folder, finds them, and reads them back with their folder', async () => {
    await client.createFolder({ uid: 'webhook', title: 'Webhook' });
    const saved = await client.upsertDashboard(
      {
        uid: 'wmon-overview',
        title: 'Webhook Overview',
        tags: ['wmon'],
        panels: [{ type: 'timeseries', title: 'Requests' }],
      },
      { folderUid: 'webhook', overwrite: true, message: 'wmon update' },
    );
    expect(saved).toMatchObject({ uid: 'wmon-overview', version: 1 });
    expect(saved.url).toMatch(/^\/d\/wmon-overview\//);

    const body = JSON.parse(grafana.requests.at(-1)?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      folderUid: 'webhook',
      overwrite: true,
      message: 'wmon update',
      dashboard: { id: null, uid: 'wmon-overview' },
    });

    const hits = await client.searchDashboards();
    expect(hits).toEqual([
      {
        uid: 'wmon-overview',
        title: 'Webhook Overview',
        url: saved.url,
        tags: ['wmon'],
        folderUid: 'webhook',
        folderTitle: 'Webhook',
      },
    ]);
    expect(grafana.requests.at(-1)?.query.get('type')).toBe('dash-db');

    const got = await client.getDashboard('wmon-overview');
    expect(got?.dashboard).toMatchObject({
      uid: 'wmon-overview',
      title: 'Webhook Overview',
      panels: [{ title: 'Requests' }],
    });
    expect(got?.meta).toEqual({
      folderUid: 'webhook',
      folderTitle: 'Webhook',
      url: saved.url,
      version: 1,
      provisioned: false,
    });
    await expect(client.getDashboard('nope')).resolves.toBeUndefined();

    const again = await client.upsertDashboard(
      { uid: 'wmon-overview', title: 'Webhook Overview' },
      { folderUid: 'webhook', overwrite: true },
    );
    expect(again.version).toBe(2);
  });

  it('surfaces 412 version-mismatch when not overwriting a changed dashboard', async () => {
    await client.upsertDashboard({ uid: 'd1', title: 'One' }, { overwrite: true });
    const error = await failure(client.upsertDashboard({ uid: 'd1', title: 'One', version: 0 }), ComponentRequestError);
    expect(error.status).toBe(412);
    expect(error.message).toContain('The dashboard has been changed by someone else');
    await expect(client.upsertDashboard({ uid: 'd1', title: 'One', version: 1 })).resolves.toMatchObject({
      version: 2,
    });
  });

  it('lists data sources with the names of their secrets, never the values', async () => {
    grafana.seedDatasource({
      uid: 'prometheus',
      name: 'Prometheus',
      type: 'prometheus',
      url: 'http://prometheus:9090',
      isDefault: true,
      readOnly: true,
    });
    grafana.seedDatasource({
      uid: 'loki',
      name: 'Loki',
      type: 'loki',
      url: 'http://loki:3100',
      secureJsonData: { basicAuthPassword: 'hunter2', httpHeaderValue1: 'tenant-secret' },
    });
    const list = await client.datasources();
    expect(list.map((d) => d.uid)).toEqual(['loki', 'prometheus']);
    expect(list[0]).toMatchObject({
      uid: 'loki',
      type: 'loki',
      url: 'http://loki:3100',
      secureFields: ['basicAuthPassword', 'httpHeaderValue1'],
    });
    expect(list[1]).toMatchObject({ uid: 'prometheus', isDefault: true, readOnly: true, secureFields: [] });
    expect(JSON.stringify(list)).not.toContain('hunter2');
    await expect(client.getDatasource('missing')).resolves.toBeUndefined();
  });

  it('creates a data source, then updates it keeping the secrets it was not given', async () => {
    const created = await client.createOrUpdateDatasource({
      uid: 'jaeger',
      name: 'Jaeger',
      type: 'jaeger',
      url: 'http://jaeger:16686',
      basicAuth: true,
      basicAuthUser: 'wmon',
      secureJsonData: { basicAuthPassword: 'pw1' },
    });
    expect(created.created).toBe(true);
    expect(created.datasource).toMatchObject({
      uid: 'jaeger',
      access: 'proxy',
      basicAuthUser: 'wmon',
      secureFields: ['basicAuthPassword'],
    });

    const updated = await client.createOrUpdateDatasource({
      uid: 'jaeger',
      name: 'Jaeger',
      type: 'jaeger',
      url: 'http://jaeger:16687',
      jsonData: { tracesToLogs: true },
    });
    expect(updated.created).toBe(false);
    expect(updated.datasource).toMatchObject({ url: 'http://jaeger:16687', secureFields: ['basicAuthPassword'] });
    expect(grafana.storedDatasource('jaeger')).toEqual({
      secureJsonData: { basicAuthPassword: 'pw1' },
      jsonData: { tracesToLogs: true },
    });
    expect(grafana.requests.at(-1)).toMatchObject({ method: 'PUT', path: '/api/datasources/uid/jaeger' });
  });

  it('reports a provisioned (read-only) data source refusing an update', async () => {
    grafana.seedDatasource({
      uid: 'prometheus',
      name: 'Prometheus',
      type: 'prometheus',
      url: 'http://prometheus:9090',
      readOnly: true,
    });
    const error = await failure(
      client.createOrUpdateDatasource({ uid: 'prometheus', name: 'Prometheus', type: 'prometheus', url: 'http://x' }),
      ComponentRequestError,
    );
    expect(error.status).toBe(403);
    expect(error.message).toContain('Cannot update read-only data source');
  });

  it('says "timeout after N ms" when Grafana answers too slowly', async () => {
    grafana.setLatency(800);
    const slow = createGrafanaClient({ baseUrl: grafana.url, auth: ADMIN, timeoutMs: 200 });
    const started = Date.now();
    const error = await failure(slow.searchDashboards(), ComponentRequestError);
    expect(Date.now() - started).toBeLessThan(700);
    expect(error.failure).toBe('timeout');
    expect(error.code).toBe('COMPONENT_TIMEOUT');
    expect(error.message).toContain('Grafana');
    expect(error.message).toContain('timeout after 200 ms');
  });

  it('says "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    const down = createGrafanaClient({ baseUrl: `http://127.0.0.1:${port}`, auth: ADMIN });
    const error = await failure(down.health(), ComponentRequestError);
    expect(error.failure).toBe('connection-refused');
    expect(error.message).toBe(`Grafana: GET http://127.0.0.1:${port}/api/health failed: connection refused`);
    expect(error.suggestions.join(' ')).toContain('wmon check');
  });

  it('never shows credentials written into the base URL', async () => {
    const port = await closedPort();
    const error = await failure(
      createGrafanaClient({ baseUrl: `http://admin:s3cret@127.0.0.1:${port}` }).folders(),
      ComponentRequestError,
    );
    expect(error.message).toContain(`GET http://127.0.0.1:${port}/api/folders`);
    expect(error.message).not.toContain('s3cret');
  });

  it('reports a reset connection and a 500 with its message', async () => {
    grafana.failWith({ reset: true }, 1);
    const e1 = await failure(client.folders(), ComponentRequestError);
    expect(e1.failure).toBe('network');

    grafana.failWith({ status: 500, json: { message: 'database is locked' } }, 1);
    const e2 = await failure(client.folders(), ComponentRequestError);
    expect(e2.failure).toBe('http');
    expect(e2.message).toContain('HTTP 500: database is locked');
    await expect(client.folders()).resolves.toEqual([]);
  });

  it('rejects an answer that is not Grafana-shaped', async () => {
    grafana.failWith({ status: 200, json: { hello: 'world' } }, 1);
    const error = await failure(client.searchDashboards(), ComponentRequestError);
    expect(error.failure).toBe('bad-response');
    expect(error.code).toBe('COMPONENT_BAD_RESPONSE');
  });
});

describe('the Grafana fake answers as Grafana 12.1 documents (fakes/grafana.ts names the pages)', () => {
  it('reloads provisioning for a server admin over basic auth only: an Admin token is refused, with a hint (admin.md)', async () => {
    await expect(client.reloadProvisioning('dashboards')).resolves.toBeUndefined();
    const token = createGrafanaClient({ baseUrl: grafana.url, auth: { kind: 'bearer', token: TOKEN } });
    const error = await failure(token.reloadProvisioning('dashboards'), ComponentRequestError);
    expect(error.status).toBe(403);
    expect(error.message).toContain('Permissions needed: provisioning:reload');
    expect(error.message).toContain('basic auth as a Grafana server admin');
    expect(grafana.provisioningReloads()).toEqual(['dashboards']);
  });

  it("refuses with the access-control middleware's body: title, message and error id", async () => {
    const res = await fetch(`${grafana.url}/api/datasources`, {
      method: 'POST',
      headers: { Authorization: 'Bearer glsa_viewer', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x', type: 'prometheus', access: 'proxy' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      accessErrorId: expect.stringMatching(/^ACE/),
      message: "You'll need additional permissions to perform this action. Permissions needed: datasources:create",
      title: 'Access denied',
    });
  });

  it('answers health pretty-printed as application/json; charset=UTF-8 (other.md)', async () => {
    const res = await fetch(`${grafana.url}/api/health`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ database: 'ok', version: '12.1.0', commit: 'fake0000' });
    expect(body).toContain('\n  "database": "ok"');
  });

  it('pages search hits: limit (at most 5000) and page from 1 (folder_dashboard_search.md)', async () => {
    for (const n of [1, 2, 3]) await client.upsertDashboard({ uid: `d${n}`, title: `Dash ${n}` });
    const page = async (q: string) =>
      (
        (await (
          await fetch(`${grafana.url}/api/search?${q}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
        ).json()) as Array<{ uid: string }>
      ).map((h) => h.uid);
    await expect(page('type=dash-db&limit=2')).resolves.toEqual(['d1', 'd2']);
    await expect(page('type=dash-db&limit=2&page=2')).resolves.toEqual(['d3']);
  });
});
