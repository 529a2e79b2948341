/**
 * loki.yaml against Loki 3.5's own documentation, one test per key group. Loki cannot run here, so each
 * group's keys are checked against the documented configuration reference, "Grafana Loki configuration
 * parameters" (https://grafana.com/docs/loki/v3.5.x/configure/, generated from
 * docs/sources/shared/configuration.md in grafana/loki at v3.5.x), and the rules of
 * https://grafana.com/docs/loki/v3.5.x/operations/storage/retention/.
 *
 * Each `documented` table below lists, for the keys wmon writes, what the reference says of them (its
 * `[key: <type> | default = …]` line and allowed values). A key wmon writes that is not in its table fails
 * the test: look it up on the page, and add it only if the page lists it for that block.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { parseConfigText } from '../../../src/core/config/load.js';
import { renderStack } from '../../../src/core/render/index.js';

const CONFIGURE = 'https://grafana.com/docs/loki/v3.5.x/configure/';
const RETENTION = 'https://grafana.com/docs/loki/v3.5.x/operations/storage/retention/';

/** The reference's generic placeholders ("Generic placeholders" on the configure page). */
type Placeholder =
  | { readonly type: 'boolean' }
  | { readonly type: 'int' }
  | { readonly type: 'string'; readonly values?: readonly string[] }
  | { readonly type: 'duration' }
  | { readonly type: 'daytime' }
  | { readonly type: 'block'; readonly keys: Documented }
  | { readonly type: 'list'; readonly of: Documented };
type Documented = Readonly<Record<string, Placeholder>>;

const boolean = { type: 'boolean' } as const;
const int = { type: 'int' } as const;
const duration = { type: 'duration' } as const;
const string = (values?: readonly string[]): Placeholder => ({ type: 'string', ...(values ? { values } : {}) });
const block = (keys: Documented): Placeholder => ({ type: 'block', keys });

/** What the reference's placeholders accept. */
function problems(value: unknown, doc: Placeholder, at: string): string[] {
  switch (doc.type) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: <boolean> expected, got ${JSON.stringify(value)}`];
    case 'int':
      // "A plain integer (for example, 0, 1024, 5000) or a size in bytes with optional unit suffix".
      return Number.isInteger(value) || (typeof value === 'string' && /^\d+(B|KB|MB|GB|TB|PB|EB)?$/.test(value))
        ? []
        : [`${at}: <int> expected, got ${JSON.stringify(value)}`];
    case 'string':
      if (typeof value !== 'string') return [`${at}: <string> expected, got ${JSON.stringify(value)}`];
      return doc.values && !doc.values.includes(value)
        ? [`${at}: ${value} is not one of ${doc.values.join(', ')}`]
        : [];
    case 'duration':
      // "a duration with required unit suffix. Supported units: ms, s, m, h, d, w, y … 0 is allowed without a unit".
      return typeof value === 'string' && /^(0|(\d+(ms|s|m|h|d|w|y))+)$/.test(value)
        ? []
        : [`${at}: <duration> expected, got ${JSON.stringify(value)}`];
    case 'daytime':
      // period_config.from: "In YYYY-MM-DD format, for example: 2018-04-15".
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? []
        : [`${at}: YYYY-MM-DD expected, got ${JSON.stringify(value)}`];
    case 'block':
      return blockProblems(value, doc.keys, at);
    case 'list':
      if (!Array.isArray(value)) return [`${at}: a list expected`];
      return value.flatMap((v, i) => blockProblems(v, doc.of, `${at}[${i}]`));
  }
}

function blockProblems(value: unknown, keys: Documented, at: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: a block expected`];
  return Object.entries(value).flatMap(([key, v]) => {
    const doc = keys[key];
    return doc ? problems(v, doc, `${at}.${key}`) : [`${at}.${key}: not a documented key of this block`];
  });
}

/** loki.yaml as Loki reads it: the YAML text, parsed (the YAML 1.2 core schema keeps `2024-01-01` a string). */
function lokiYaml(wmonYaml = ''): Record<string, unknown> {
  const file = renderStack(parseConfigText(wmonYaml, 'wmon.yaml')).files.find((f) => f.path === 'loki/loki.yaml');
  if (!file) throw new Error('no loki/loki.yaml rendered');
  return parse(file.contents) as Record<string, unknown>;
}

const loki = lokiYaml();
const group = (name: string): unknown => loki[name];

describe(`loki.yaml against the Loki 3.5 configuration reference (${CONFIGURE})`, () => {
  it('writes only documented top-level blocks ("Supported contents and default values of loki.yaml")', () => {
    // [auth_enabled: <boolean> | default = true] "If false, the OrgID will always be set to 'fake'."
    // [server: <server>], [common: <common>], [schema_config: <schema_config>], [limits_config: <limits_config>],
    // [compactor: <compactor>], [analytics: <analytics>]
    const topLevel: Documented = {
      auth_enabled: boolean,
      server: block({}),
      common: block({}),
      schema_config: block({}),
      limits_config: block({}),
      compactor: block({}),
      analytics: block({}),
    };
    expect(Object.keys(loki).filter((k) => !(k in topLevel))).toEqual([]);
    expect(problems(loki.auth_enabled, boolean, 'auth_enabled')).toEqual([]);
    // Single tenant: the clients need no X-Scope-OrgID (the fake's default tenant is Loki's `fake`).
    expect(loki.auth_enabled).toBe(false);
  });

  it(`server: the keys of the "server" block (${CONFIGURE}#server)`, () => {
    const server: Documented = {
      // [http_listen_port: <int> | default = 3100]
      http_listen_port: int,
      // [grpc_listen_port: <int> | default = 9095]
      grpc_listen_port: int,
      // "Only log messages with the given severity or above. Valid levels: [debug, info, warn, error]"
      // [log_level: <string> | default = "info"]
      log_level: string(['debug', 'info', 'warn', 'error']),
    };
    expect(blockProblems(group('server'), server, 'server')).toEqual([]);
    // The port the stack model publishes and probes is the one Loki listens on.
    expect(group('server')).toMatchObject({ http_listen_port: 3100 });
  });

  it(`common: the keys of the "common" block (${CONFIGURE}#common)`, () => {
    const common: Documented = {
      // [path_prefix: <string> | default = ""]
      path_prefix: string(),
      storage: block({
        // filesystem: [chunks_directory: <string> | default = ""], [rules_directory: <string> | default = ""]
        filesystem: block({ chunks_directory: string(), rules_directory: string() }),
      }),
      // [replication_factor: <int>]
      replication_factor: int,
      // ring: kvstore: "Backend storage to use for the ring. Supported values are: consul, etcd, inmemory,
      // memberlist, multi." [store: <string> | default = "consul"]
      ring: block({ kvstore: block({ store: string(['consul', 'etcd', 'inmemory', 'memberlist', 'multi']) }) }),
      // [instance_addr: <string> | default = ""]
      instance_addr: string(),
    };
    expect(blockProblems(group('common'), common, 'common')).toEqual([]);
  });

  it(`schema_config: a list of "period_config" blocks (${CONFIGURE}#schema_config, #period_config)`, () => {
    const period: Documented = {
      // [from: <daytime>] "In YYYY-MM-DD format"
      from: { type: 'daytime' },
      // [store: <string> | default = ""] "Which index to use. Either tsdb or boltdb-shipper."
      store: string(['tsdb', 'boltdb-shipper']),
      // [object_store: <string> | default = ""] "Either aws (alias s3), azure, gcs, alibabacloud, bos, cos,
      // swift, filesystem, or a named_store"
      object_store: string(['aws', 's3', 'azure', 'gcs', 'alibabacloud', 'bos', 'cos', 'swift', 'filesystem']),
      // [schema: <string> | default = ""] "The schema version to use, current recommended schema is v13."
      schema: string(['v13']),
      // index: [prefix: <string> | default = ""], [period: <duration>]
      index: block({ prefix: string(), period: duration }),
    };
    // schema_config: [configs: <list of period_configs>]
    expect(blockProblems(group('schema_config'), { configs: { type: 'list', of: period } }, 'schema_config')).toEqual(
      [],
    );
    // Retention page: "Retention is only available if the index period is 24h."
    expect(
      (group('schema_config') as { configs: Array<{ index: { period: string } }> }).configs.map((c) => c.index.period),
    ).toEqual(['24h']);
  });

  it(`limits_config: the keys of the "limits_config" block (${CONFIGURE}#limits_config)`, () => {
    const limits: Documented = {
      // [retention_period: <duration> | default = 0s] "only applies if retention_enabled is true in the
      // compactor config"
      retention_period: duration,
      // [allow_structured_metadata: <boolean> | default = true]
      allow_structured_metadata: boolean,
    };
    expect(blockProblems(group('limits_config'), limits, 'limits_config')).toEqual([]);
    expect(lokiYaml('loki:\n  retention: 30d\n').limits_config).toMatchObject({ retention_period: '30d' });
    // Retention page: "The minimum retention period is 24h." wmon.yaml refuses less.
    expect(() => lokiYaml('loki:\n  retention: 12h\n')).toThrow(/at least 24h/);
  });

  it(`compactor: the keys of the "compactor" block (${CONFIGURE}#compactor, ${RETENTION})`, () => {
    const compactor: Documented = {
      // [working_directory: <string> | default = "/var/loki/compactor"]
      working_directory: string(),
      // [retention_enabled: <boolean> | default = false] "Activate custom (per-stream,per-tenant) retention."
      retention_enabled: boolean,
      // [delete_request_store: <string> | default = ""] "Store used for managing delete requests."
      delete_request_store: string(),
    };
    expect(blockProblems(group('compactor'), compactor, 'compactor')).toEqual([]);
    // Retention page: "`delete_request_store` should be set … This is required when retention is enabled",
    // and it names one of the object stores (here the one the chunks are in).
    const c = group('compactor') as { retention_enabled: boolean; delete_request_store: string };
    const periods = (group('schema_config') as { configs: Array<{ object_store: string }> }).configs;
    expect(c.retention_enabled).toBe(true);
    expect(periods.map((p) => p.object_store)).toContain(c.delete_request_store);
  });

  it(`analytics: the keys of the "analytics" block (${CONFIGURE}#analytics)`, () => {
    // [reporting_enabled: <boolean> | default = true] "Enable anonymous usage reporting."
    expect(blockProblems(group('analytics'), { reporting_enabled: boolean }, 'analytics')).toEqual([]);
    expect(group('analytics')).toEqual({ reporting_enabled: false });
  });

  it('finds a key the reference does not list, and a value of the wrong kind (the checks can fail)', () => {
    expect(
      blockProblems(
        { http_listen_port: 3100, log_level: 'warning', grpc_port: 1 },
        { http_listen_port: int, log_level: string(['warn']) },
        'server',
      ),
    ).toEqual(['server.log_level: warning is not one of warn', 'server.grpc_port: not a documented key of this block']);
    expect(problems('7 days', duration, 'limits_config.retention_period')).toHaveLength(1);
  });
});
