import { z } from 'zod';
import { SERVICE_METRICS } from '@wmon/contract';

import { promDuration } from './alerts.js';
import type { Config } from './schema.js';
import { basicAuthSchema, secretRefSchema } from './secret-ref.js';

/**
 * The parts of Prometheus's `scrape_config` that wmon.yaml's `prometheus.extraScrapeConfigs` accepts, with
 * Prometheus's own (snake_case) field names, so a job can be copied from Prometheus's documentation or another
 * prometheus.yml. Unknown fields are refused here rather than by Prometheus at start. Every list is bounded.
 * The test suite feeds rendered jobs to `promtool check config`.
 */

/** `host:port`, what a static target is. */
export const hostPort = z
  .string()
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]{1,253}):[0-9]{1,5}$/,
    'must be host:port, such as host.containers.internal:8080',
  );

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, 'must be a label name such as team');
/** Label names that start with `__` are Prometheus's own (relabelling reads and writes them). */
const anyLabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, 'must be a label name such as __address__');
export const metricName = z
  .string()
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/, 'must be a metric name such as http_requests_total');
const labelValue = z.string().max(1024, 'at most 1024 characters');
const regex = z
  .string()
  .max(1024, 'at most 1024 characters')
  .refine((r) => {
    try {
      new RegExp(r, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'must be a regular expression (RE2 syntax, as Prometheus reads it)');

/** A relabelling step (relabel_configs, metric_relabel_configs): Prometheus's `relabel_config`. */
const relabelSchema = z.strictObject({
  source_labels: z.array(anyLabelName).max(16).optional(),
  separator: z.string().max(16).optional(),
  regex: regex.optional(),
  modulus: z.number().int().min(1).optional(),
  target_label: z.string().max(256).optional(),
  replacement: z.string().max(1024).optional(),
  action: z
    .enum([
      'replace',
      'lowercase',
      'uppercase',
      'keep',
      'drop',
      'keepequal',
      'dropequal',
      'hashmod',
      'labelmap',
      'labeldrop',
      'labelkeep',
    ])
    .optional(),
});

/** A path inside the Prometheus container (wmon does not copy it there): an absolute path. */
const containerPath = z.string().regex(/^\/[^\0]{0,1023}$/, 'must be an absolute path inside the Prometheus container');

/** Jobs wmon names itself (by the components' DNS names); an extra job takes none of them. */
export const RESERVED_JOB_NAMES = [
  'prometheus',
  'alertmanager',
  'node-exporter',
  'webhook',
  'grafana',
  'loki',
  'jaeger',
  'blackbox-exporter',
] as const;

export const MAX_EXTRA_SCRAPE_CONFIGS = 50;

export const scrapeConfigSchema = z
  .strictObject({
    job_name: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_.-]{0,62}$/, 'must be a job name such as orders-api (letters, digits, . _ -)')
      .refine((n) => !(RESERVED_JOB_NAMES as readonly string[]).includes(n), {
        message: `is a job wmon renders itself (${RESERVED_JOB_NAMES.join(', ')}): choose another name`,
      }),
    static_configs: z
      .array(
        z.strictObject({
          targets: z.array(hostPort).min(1, 'list at least one host:port').max(100),
          labels: z.record(labelName, labelValue).optional(),
        }),
      )
      .min(1, 'list at least one static_configs entry with targets')
      .max(20),
    metrics_path: z
      .string()
      .regex(/^\/[\x21-\x7e]{0,255}$/, 'must be a path such as /metrics')
      .optional(),
    scheme: z.enum(['http', 'https']).optional(),
    params: z.record(z.string().max(128), z.array(z.string().max(1024)).max(16)).optional(),
    scrape_interval: promDuration.optional(),
    scrape_timeout: promDuration.optional(),
    honor_labels: z.boolean().optional(),
    honor_timestamps: z.boolean().optional(),
    /** Passwords and tokens already in the container (absolute paths there): wmon does not copy these. */
    basic_auth: z.strictObject({ username: z.string().min(1).max(256), password_file: containerPath }).optional(),
    authorization: z
      .strictObject({
        type: z
          .string()
          .regex(/^[A-Za-z]{1,32}$/)
          .optional(),
        credentials_file: containerPath,
      })
      .optional(),
    tls_config: z
      .strictObject({
        ca_file: containerPath.optional(),
        cert_file: containerPath.optional(),
        key_file: containerPath.optional(),
        server_name: z.string().max(253).optional(),
        insecure_skip_verify: z.boolean().optional(),
      })
      .optional(),
    relabel_configs: z.array(relabelSchema).max(50).optional(),
    metric_relabel_configs: z.array(relabelSchema).max(50).optional(),
    sample_limit: z.number().int().min(0).optional(),
    label_limit: z.number().int().min(0).optional(),
    /**
     * wmon's own credential keys, as prometheus.remoteWrite takes them: the password or token from a file
     * (relative to wmon.yaml) or an environment variable, copied into Prometheus's secrets folder.
     */
    basicAuth: basicAuthSchema.optional(),
    bearerToken: secretRefSchema.optional(),
  })
  .superRefine((job, ctx) => {
    const refuse = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    if (job.basicAuth && job.basic_auth) {
      refuse(
        'basicAuth',
        'give basicAuth (wmon copies the password in) or basic_auth (a file already in the container), not both',
      );
    }
    if (job.bearerToken && job.authorization) {
      refuse(
        'bearerToken',
        'give bearerToken (wmon copies the token in) or authorization (a file already in the container), not both',
      );
    }
    if ((job.basicAuth ?? job.basic_auth) && (job.bearerToken ?? job.authorization)) {
      refuse(
        job.bearerToken ? 'bearerToken' : 'authorization',
        'give basic auth or a bearer token, not both (Prometheus sends one Authorization header)',
      );
    }
  });
export type ExtraScrapeConfig = z.output<typeof scrapeConfigSchema>;

/** The metric names the alerts and dashboards read from a webhook handler (the contract's list). */
export const CONTRACT_METRIC_NAMES = Object.values(SERVICE_METRICS).map((m) => m.name) as [string, ...string[]];

/**
 * A team's own webhook handler, monitored as the bundled service is (components.webhook off): scraped as the
 * `webhook` job, its metrics renamed onto the contract's names at scrape time (metric_relabel_configs), so
 * every alert, dashboard, `wmon metrics` and `wmon report` reads it unchanged.
 */
export const handlerSchema = z.strictObject({
  /** host:port of each instance, as Prometheus (in the stack) reaches it. */
  targets: z.array(hostPort).min(1, 'list at least one host:port').max(20, 'at most 20 targets'),
  metricsPath: z
    .string()
    .regex(/^\/[\x21-\x7e]{0,255}$/, 'must be a path such as /metrics')
    .default('/metrics'),
  scheme: z.enum(['http', 'https']).default('http'),
  /** The prefix the handler's metric names have instead of `webhook_`, e.g. `payments_`. */
  metricsPrefix: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,63}$/, 'must be the start of a metric name, such as payments_')
    .optional(),
  /** Contract name → the handler's own name, e.g. `webhook_requests_total: http_requests_total`. */
  metricNames: z
    .partialRecord(z.enum(CONTRACT_METRIC_NAMES, { error: 'must be a metric name of the contract' }), metricName)
    .optional(),
  /** What Stripe calls (the handler's webhook URL): the blackbox exporter GETs it as it is. */
  publicUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://hooks.example.com/webhooks/stripe' })
    .optional(),
});
export type HandlerConfig = z.output<typeof handlerSchema>;

/**
 * Your own handler (`handler`, or the older `service.scrapeTarget`), when the bundled service is off: what
 * Prometheus scrapes as the webhook job. Undefined when there is none.
 */
export function handlerOf(config: Config): HandlerConfig | undefined {
  if (config.components.webhook.enabled) return undefined;
  if (config.handler) return config.handler;
  const target = config.service.scrapeTarget;
  return target === undefined ? undefined : { targets: [target], metricsPath: '/metrics', scheme: 'http' };
}
