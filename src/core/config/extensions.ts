/**
 * The files wmon.yaml extends the stack with: the user's own rule files (`alerts.extraRuleFiles`), dashboards
 * (`grafana.extraDashboards`), and fragments merged into a rendered file (`prometheus.configFragment`,
 * `notifications.configFragment`). Each is read bounded (a regular file, by size; a folder, by count), parsed,
 * and validated like wmon.yaml, before anything is rendered; a problem is a WmonError naming the file.
 */
import { opendirSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';
import { z } from 'zod';

import { WmonError } from '../../errors.js';
import { DASHBOARD_UIDS } from '../render/dashboards/uids.js';
import { analyzePromql } from '../render/promql.js';
import { durationSeconds } from '../vocab/durations.js';
import { promDuration } from './alerts.js';
import { metricName } from './scrape.js';
import type { Config } from './schema.js';
import { readSmallFileSync } from './small-file.js';

export const EXTENSION_LIMITS = {
  /** One rule file. */
  ruleFileBytes: 1024 * 1024,
  /** One dashboard JSON file. */
  dashboardBytes: 2 * 1024 * 1024,
  /** Dashboard files in `grafana.extraDashboards` (entries of the folder, whatever they are). */
  dashboardFiles: 100,
  /** A configuration fragment. */
  fragmentBytes: 256 * 1024,
  /** Aliases a YAML file may expand (the yaml package's maxAliasCount). */
  maxAliasCount: 100,
} as const;

/** Rule groups wmon renders are all named `wmon-…`: the user's take other names. */
export const RESERVED_GROUP_PREFIX = 'wmon-';

const labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name'), z.string().max(4096));
const expr = z
  .string()
  .min(1)
  .max(16 * 1024)
  .superRefine((e, ctx) => {
    const first = analyzePromql(e).errors[0];
    if (first) ctx.addIssue({ code: 'custom', message: `is not valid PromQL (${first.message} at ${first.from})` });
  });

const ruleSchema = z
  .strictObject({
    alert: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,199}$/, 'must be an alert name such as OrdersApiDown')
      .optional(),
    record: metricName.optional(),
    expr,
    for: promDuration.optional(),
    keep_firing_for: promDuration.optional(),
    labels: labels.optional(),
    annotations: labels.optional(),
  })
  .refine((r) => (r.alert === undefined) !== (r.record === undefined), 'give exactly one of alert or record')
  .refine(
    (r) => r.record === undefined || (r.for === undefined && r.annotations === undefined),
    'a recording rule takes no for or annotations',
  );

/** A name of 1 to 200 characters that is not one of wmon's own (`taken`), refused with `message`. */
const nameNot = (taken: (name: string) => boolean, message: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .refine((n) => !taken(n), { message });

export const extraRuleFileSchema = z.strictObject({
  groups: z
    .array(
      z.strictObject({
        name: nameNot(
          (n) => n.startsWith(RESERVED_GROUP_PREFIX),
          `must not start with ${RESERVED_GROUP_PREFIX} (wmon's)`,
        ),
        interval: promDuration.optional(),
        query_offset: promDuration.optional(),
        limit: z.number().int().min(0).optional(),
        labels: labels.optional(),
        rules: z.array(ruleSchema).max(1000, 'at most 1000 rules in a group'),
      }),
    )
    .max(100, 'at most 100 groups in a file'),
});
export type ExtraRuleFileContents = z.output<typeof extraRuleFileSchema>;

/** prometheus.configFragment: settings added to prometheus.yml's `global:` (wmon.yaml keeps its own). */
export const prometheusFragmentSchema = z.strictObject({
  global: z.strictObject({
    scrape_timeout: promDuration.optional(),
    scrape_protocols: z
      .array(
        z.enum([
          'PrometheusProto',
          'OpenMetricsText1.0.0',
          'OpenMetricsText0.0.1',
          'PrometheusText1.0.0',
          'PrometheusText0.0.4',
        ]),
      )
      .max(5)
      .optional(),
    /** Added to wmon's `project` and `environment`, which they cannot replace. */
    external_labels: labels
      .refine((l) => !('project' in l) && !('environment' in l), 'project and environment come from wmon.yaml')
      .optional(),
    query_log_file: z.string().max(1024).optional(),
    body_size_limit: z
      .string()
      .regex(/^[0-9]+(B|KB|MB|GB|TB|PB|EB)$/, 'must be a size such as 10MB')
      .optional(),
    sample_limit: z.number().int().min(0).optional(),
    label_limit: z.number().int().min(0).optional(),
    label_name_length_limit: z.number().int().min(0).optional(),
    label_value_length_limit: z.number().int().min(0).optional(),
    target_limit: z.number().int().min(0).optional(),
  }),
});
export type PrometheusFragment = z.output<typeof prometheusFragmentSchema>;

/** The receivers wmon renders (alertmanager.ts): a fragment adds others. */
export const WMON_RECEIVERS = ['default', 'heartbeat', 'critical', 'warning', 'info'] as const;

const matchers = z.array(z.string().min(1).max(1024)).max(20);
const amDuration = promDuration;
type Route = {
  receiver?: string | undefined;
  matchers?: string[] | undefined;
  group_by?: string[] | undefined;
  group_wait?: string | undefined;
  group_interval?: string | undefined;
  repeat_interval?: string | undefined;
  continue?: boolean | undefined;
  mute_time_intervals?: string[] | undefined;
  active_time_intervals?: string[] | undefined;
  routes?: Route[] | undefined;
};
const routeSchema: z.ZodType<Route> = z.lazy(() =>
  z.strictObject({
    receiver: z.string().min(1).max(200).optional(),
    matchers: matchers.optional(),
    group_by: z.array(z.string().max(200)).max(20).optional(),
    group_wait: amDuration.optional(),
    group_interval: amDuration.optional(),
    repeat_interval: amDuration.optional(),
    continue: z.boolean().optional(),
    mute_time_intervals: z.array(z.string().max(200)).max(20).optional(),
    active_time_intervals: z.array(z.string().max(200)).max(20).optional(),
    routes: z.array(routeSchema).max(50).optional(),
  }),
);

/** An integration's settings are checked by Alertmanager itself (amtool in the tests); wmon checks the shape. */
const integrations = z.array(z.record(z.string(), z.unknown())).min(1).max(20).optional();

/** notifications.configFragment: routes, receivers, inhibit rules and time intervals added to wmon's. */
export const alertmanagerFragmentSchema = z.strictObject({
  route: z.strictObject({ routes: z.array(routeSchema).min(1).max(50) }).optional(),
  receivers: z
    .array(
      z.strictObject({
        name: nameNot(
          (n) => (WMON_RECEIVERS as readonly string[]).includes(n),
          `is a receiver wmon renders (${WMON_RECEIVERS.join(', ')}): choose another name`,
        ),
        email_configs: integrations,
        slack_configs: integrations,
        pagerduty_configs: integrations,
        webhook_configs: integrations,
        opsgenie_configs: integrations,
        msteamsv2_configs: integrations,
        telegram_configs: integrations,
        discord_configs: integrations,
        pushover_configs: integrations,
        victorops_configs: integrations,
        wechat_configs: integrations,
        sns_configs: integrations,
        webex_configs: integrations,
        jira_configs: integrations,
      }),
    )
    .max(50)
    .optional(),
  inhibit_rules: z
    .array(
      z.strictObject({
        source_matchers: matchers.optional(),
        target_matchers: matchers.optional(),
        equal: z.array(z.string().max(200)).max(20).optional(),
      }),
    )
    .max(50)
    .optional(),
  time_intervals: z
    .array(z.strictObject({ name: z.string().min(1).max(200), time_intervals: z.array(z.unknown()).max(50) }))
    .max(20)
    .optional(),
});
export type AlertmanagerFragment = z.output<typeof alertmanagerFragmentSchema>;

export interface ExtraRuleFile {
  /** Absolute path of the user's file. */
  readonly source: string;
  /** Where it goes under the stack directory's prometheus/ folder (rules/extra-<name>.yml). */
  readonly fileName: string;
  /** The file's text, copied as it is. */
  readonly text: string;
  readonly contents: ExtraRuleFileContents;
}

export interface ExtraDashboard {
  readonly source: string;
  /** Its file name under grafana/dashboards-extra/. */
  readonly fileName: string;
  readonly uid: string;
  readonly title: string;
  readonly text: string;
}

export interface Extensions {
  readonly ruleFiles: readonly ExtraRuleFile[];
  readonly dashboards: readonly ExtraDashboard[];
  readonly prometheus?: PrometheusFragment;
  readonly alertmanager?: AlertmanagerFragment;
}

export const NO_EXTENSIONS: Extensions = { ruleFiles: [], dashboards: [] };

function invalid(key: string, file: string, problem: string, fix: string): WmonError {
  return new WmonError(`${key}: ${file} ${problem}`, { code: 'EXTENSION_INVALID', suggestions: [fix] });
}

/** zod's first few problems, as `path: message`. */
function describe(error: z.ZodError): string {
  const lines = error.issues
    .slice(0, 5)
    .map(
      (i) =>
        `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') || '(root)'}: ${i.message}`,
    );
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '';
  return `${lines.join('; ')}${more}`;
}

/** A file's text, read bounded, or a refusal naming it. */
function readText(key: string, file: string, maxBytes: number): string {
  const r = readSmallFileSync(file, maxBytes, 'file');
  if (!r.ok)
    throw invalid(key, file, `cannot be used: ${r.problem.replace(/^file \S+ /, '')}`, `Check ${key} in wmon.yaml.`);
  return r.bytes.toString('utf8');
}

function parseYaml(key: string, file: string, text: string): unknown {
  try {
    return parse(text, { maxAliasCount: EXTENSION_LIMITS.maxAliasCount, prettyErrors: true });
  } catch (error) {
    throw invalid(key, file, `is not valid YAML: ${(error as Error).message.split('\n')[0]}`, 'Fix the YAML syntax.');
  }
}

function validated<S extends z.ZodType>(key: string, file: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw invalid(key, file, `is invalid: ${describe(r.error)}`, `Fix ${file}, then run the command again.`);
}

/** `orders.rules.yaml` → `orders-rules`: a file name that stays the same across renders. */
function slug(file: string): string {
  const base = path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  return base.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'file';
}

/** Where a rule file of yours goes under the stack directory's prometheus/ folder. */
export function extraRuleFileName(source: string): string {
  return `rules/extra-${slug(source)}.yml`;
}

function loadRuleFiles(config: Config, baseDir: string): ExtraRuleFile[] {
  const key = 'alerts.extraRuleFiles';
  const out: ExtraRuleFile[] = [];
  const names = new Map<string, string>();
  const groups = new Map<string, string>();
  for (const rel of config.alerts.extraRuleFiles) {
    const source = path.resolve(baseDir, rel);
    const text = readText(key, source, EXTENSION_LIMITS.ruleFileBytes);
    const contents = validated(key, source, extraRuleFileSchema, parseYaml(key, source, text) ?? {});
    const fileName = extraRuleFileName(source);
    const same = names.get(fileName);
    if (same) {
      throw invalid(key, source, `and ${same} would both be copied to ${fileName}`, 'Rename one of the two files.');
    }
    names.set(fileName, source);
    for (const g of contents.groups) {
      const other = groups.get(g.name);
      if (other) {
        throw invalid(key, source, `has rule group ${g.name}, which ${other} has too`, 'Give each group its own name.');
      }
      groups.set(g.name, source);
    }
    out.push({ source, fileName, text, contents });
  }
  return out;
}

const dashboardSchema = z.looseObject({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'must be set: 1 to 40 letters, digits, - or _'),
  title: z.string().min(1).max(200),
});

/** Dashboards wmon renders (uid → its file under the stack directory), which an extra dashboard may not reuse. */
const WMON_DASHBOARDS: ReadonlyMap<string, string> = new Map(
  Object.entries(DASHBOARD_UIDS).map(([key, uid]) => [uid, `wmon's own dashboard grafana/dashboards/${key}.json`]),
);

function loadDashboards(config: Config, baseDir: string): ExtraDashboard[] {
  const key = 'grafana.extraDashboards';
  if (config.grafana.extraDashboards === undefined) return [];
  const folder = path.resolve(baseDir, config.grafana.extraDashboards);
  const entries: string[] = [];
  let dir;
  try {
    dir = opendirSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code})`;
    throw invalid(key, folder, why, 'Point grafana.extraDashboards at a folder of dashboard JSON files.');
  }
  try {
    for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
      if (entries.length >= EXTENSION_LIMITS.dashboardFiles) {
        throw invalid(
          key,
          folder,
          `has more than ${EXTENSION_LIMITS.dashboardFiles} entries; it may hold at most that many dashboards`,
          'Keep only dashboard JSON files there.',
        );
      }
      if (e.name.toLowerCase().endsWith('.json')) entries.push(e.name);
    }
  } finally {
    dir.closeSync();
  }
  entries.sort();
  const out: ExtraDashboard[] = [];
  const uids = new Map<string, string>();
  for (const name of entries) {
    const source = path.join(folder, name);
    const text = readText(key, source, EXTENSION_LIMITS.dashboardBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw invalid(
        key,
        source,
        `is not JSON: ${(error as Error).message}`,
        'Export the dashboard as JSON from Grafana.',
      );
    }
    const d = validated(key, source, dashboardSchema, json);
    const clash = uids.get(d.uid) ?? WMON_DASHBOARDS.get(d.uid);
    if (clash) {
      throw invalid(
        key,
        source,
        `has uid ${d.uid}, which ${clash} has too: Grafana would keep only one of them`,
        `Give the dashboard in ${source} another uid.`,
      );
    }
    uids.set(d.uid, source);
    out.push({ source, fileName: `${slug(name)}.json`, uid: d.uid, title: d.title, text });
  }
  return out;
}

function loadFragment<S extends z.ZodType>(key: string, rel: string | undefined, baseDir: string, schema: S) {
  if (rel === undefined) return undefined;
  const file = path.resolve(baseDir, rel);
  const text = readText(key, file, EXTENSION_LIMITS.fragmentBytes);
  return validated(key, file, schema, parseYaml(key, file, text) ?? {});
}

/** Each route of a fragment names a receiver the fragment defines (or wmon's no-op `default`). */
function checkReceivers(file: string, fragment: AlertmanagerFragment): void {
  const known = new Set(['default', ...(fragment.receivers ?? []).map((r) => r.name)]);
  const walk = (routes: readonly Route[]): void => {
    for (const r of routes) {
      if (r.receiver !== undefined && !known.has(r.receiver)) {
        throw invalid(
          'notifications.configFragment',
          file,
          `routes to receiver ${r.receiver}, which it does not define (it defines ${[...known].join(', ')})`,
          'Add the receiver to the fragment, or route to one it has.',
        );
      }
      walk(r.routes ?? []);
    }
  };
  walk(fragment.route?.routes ?? []);
}

/**
 * Read and check every file wmon.yaml extends the stack with (relative paths against `baseDir`, wmon.yaml's
 * folder). Nothing is read when wmon.yaml names none.
 */
export function loadExtensions(config: Config, baseDir: string): Extensions {
  const prometheus = loadFragment(
    'prometheus.configFragment',
    config.prometheus.configFragment,
    baseDir,
    prometheusFragmentSchema,
  );
  const alertmanager = loadFragment(
    'notifications.configFragment',
    config.notifications.configFragment,
    baseDir,
    alertmanagerFragmentSchema,
  );
  const timeout = prometheus?.global.scrape_timeout;
  const interval = config.prometheus.scrapeInterval;
  if (timeout !== undefined && (durationSeconds(timeout) ?? 0) > (durationSeconds(interval) ?? 0)) {
    throw invalid(
      'prometheus.configFragment',
      path.resolve(baseDir, config.prometheus.configFragment ?? ''),
      `sets scrape_timeout ${timeout}, longer than prometheus.scrapeInterval (${interval}): Prometheus refuses that`,
      `Set scrape_timeout to at most ${interval}.`,
    );
  }
  if (alertmanager && config.notifications.configFragment !== undefined) {
    checkReceivers(path.resolve(baseDir, config.notifications.configFragment), alertmanager);
  }
  return {
    ruleFiles: loadRuleFiles(config, baseDir),
    dashboards: loadDashboards(config, baseDir),
    ...(prometheus ? { prometheus } : {}),
    ...(alertmanager ? { alertmanager } : {}),
  };
}
