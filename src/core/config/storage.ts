import { isIP } from 'node:net';

import { z } from 'zod';

import { promDuration } from './alerts.js';
import { basicAuthSchema, secretRefSchema } from './secret-ref.js';

/**
 * wmon.yaml's long-term storage and high-availability keys: `prometheus.remoteWrite` (Prometheus's
 * remote_write, the protocol Mimir, Thanos Receive, Cortex and VictoriaMetrics accept),
 * `prometheus.externalLabels` (what tells two replicas apart for deduplication) and `alertmanager` (the
 * gossip cluster of an Alertmanager HA pair). Every list and string is bounded.
 */

/** At most this many remote-write endpoints, headers per endpoint, relabel rules per endpoint, labels, peers. */
export const STORAGE_LIMITS = {
  remoteWrite: 10,
  headers: 20,
  writeRelabel: 20,
  externalLabels: 20,
  peers: 10,
} as const;

/** A label name in Prometheus's classic character set (what every remote-write receiver accepts). */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LABEL_NAME_RULE =
  'must be a label name: letters, digits and underscores, not starting with a digit (at most 128)';
const labelName = z.string().regex(LABEL_NAME, LABEL_NAME_RULE);

/**
 * Headers Prometheus 3.5 refuses in a remote_write `headers` section (config.reservedHeaders, and
 * Authorization, which it wants through basic_auth or authorization): refused here first, by name.
 */
export const RESERVED_HEADERS = [
  'authorization',
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
] as const;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

const headersSchema = z
  .record(
    z.string(),
    z
      .string()
      .max(1024, 'must be at most 1024 characters')
      // A header value is one line of visible characters; anything else would split the request.
      .regex(/^[\t\x20-\x7e\x80-\uffff]*$/, 'must be one line of text (no control characters)'),
  )
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > STORAGE_LIMITS.headers) {
      ctx.addIssue({ code: 'custom', message: `at most ${STORAGE_LIMITS.headers} headers` });
    }
    const seen = new Set<string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be an HTTP header name such as X-Scope-OrgID' });
      } else if ((RESERVED_HEADERS as readonly string[]).includes(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is a header Prometheus sets itself and refuses to change${lower === 'authorization' ? ': use basicAuth or bearerToken' : ''}`,
        });
      }
      if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is named twice (header names are case-insensitive)' });
      }
      seen.add(lower);
    }
  });

const count = (max: number) => z.number().int('must be a whole number').min(1, 'must be at least 1').max(max);

/** A documented subset of Prometheus's queue_config; what is absent keeps Prometheus's default. */
const queueSchema = z
  .strictObject({
    /** Samples buffered per shard before reading from the WAL blocks. */
    capacity: count(1_000_000).optional(),
    minShards: count(1000).optional(),
    maxShards: count(1000).optional(),
    maxSamplesPerSend: count(100_000).optional(),
    /** How long a sample waits in a shard before it is sent anyway. */
    batchSendDeadline: promDuration.optional(),
    /** Retry backoff after a recoverable failure (5xx, 429, a network error), doubled up to maxBackoff. */
    minBackoff: promDuration.optional(),
    maxBackoff: promDuration.optional(),
  })
  .refine((q) => q.minShards === undefined || q.maxShards === undefined || q.minShards <= q.maxShards, {
    message: 'minShards must not be greater than maxShards',
    path: ['minShards'],
  });

/**
 * Why a relabel regex would not do what it says in Prometheus (RE2, anchored), or undefined. RE2 has no
 * lookaround and no backreferences; everything else that JavaScript compiles reads the same in both.
 */
export function re2Problem(regex: string): string | undefined {
  if (/\(\?<?[=!]/.test(regex)) return 'must be an RE2 regular expression: Prometheus has no lookahead or lookbehind';
  if (/\\[1-9]/.test(regex)) return 'must be an RE2 regular expression: Prometheus has no backreferences';
  try {
    new RegExp(regex);
    return undefined;
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`;
  }
}

/** keep or drop series by a regex over some labels: the write_relabel_configs that need no more than that. */
const writeRelabelSchema = z.strictObject({
  action: z.enum(['keep', 'drop']),
  /** Labels joined by `;`, matched against regex (anchored at both ends). Default: the metric name. */
  sourceLabels: z.array(labelName).min(1, 'list at least one label').max(10, 'at most 10 labels').default(['__name__']),
  regex: z
    .string()
    .min(1, 'must be a regular expression such as webhook_.*')
    .max(1024, 'must be at most 1024 characters')
    .superRefine((r, ctx) => {
      const problem = re2Problem(r);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});

/** One remote-write endpoint. */
export const remoteWriteSchema = z
  .strictObject({
    /** The receiver's push URL, e.g. https://mimir.example.com/api/v1/push. */
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://mimir.example.com/api/v1/push' })
      .max(2048, 'must be at most 2048 characters')
      .refine(
        (u) => new URL(u).username === '' && new URL(u).password === '',
        'must not hold credentials (they would be written into prometheus.yml): use basicAuth or bearerToken',
      ),
    /** Names the queue in Prometheus's metrics (remote_name) and logs; default remote-write-<n>. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
      .optional(),
    basicAuth: basicAuthSchema.optional(),
    /** Sent as `Authorization: Bearer <token>`. */
    bearerToken: secretRefSchema.optional(),
    /** Plain headers, e.g. the tenant: `X-Scope-OrgID: team-a`. Written into prometheus.yml: never secrets. */
    headers: headersSchema.default({}),
    queue: queueSchema.optional(),
    writeRelabel: z
      .array(writeRelabelSchema)
      .max(STORAGE_LIMITS.writeRelabel, `at most ${STORAGE_LIMITS.writeRelabel} rules`)
      .default([]),
  })
  .refine((r) => r.basicAuth === undefined || r.bearerToken === undefined, {
    message: 'give basicAuth or bearerToken, not both',
    path: ['bearerToken'],
  });
export type RemoteWrite = z.output<typeof remoteWriteSchema>;

export const remoteWriteListSchema = z
  .array(remoteWriteSchema)
  .max(STORAGE_LIMITS.remoteWrite, `at most ${STORAGE_LIMITS.remoteWrite} remote-write endpoints`)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((r, i) => {
      const name = remoteWriteName(r, i);
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `the name ${name} is also the name of prometheus.remoteWrite[${first}]: give each endpoint its own`,
        });
      } else seen.set(name, i);
    });
  });

/** The queue name of the remote-write endpoint at `index` (Prometheus's remote_name label). */
export function remoteWriteName(r: Pick<RemoteWrite, 'name'>, index: number): string {
  return r.name ?? `remote-write-${index + 1}`;
}

/** What owns a credential Prometheus reads from its secrets folder: a remote-write endpoint or an extra scrape job. */
export type PrometheusSecretOwner = 'remote_write' | 'scrape';

/**
 * The file (in Prometheus's secrets folder) holding the password or bearer token of the remote-write endpoint
 * or extra scrape job at `index`. Only the file's path is in prometheus.yml; the value never is.
 */
export function prometheusSecretFile(
  owner: PrometheusSecretOwner,
  index: number,
  kind: 'password' | 'bearerToken',
): string {
  return `${owner}_${index + 1}_${kind === 'password' ? 'password' : 'bearer_token'}`;
}

/** Matches every file prometheusSecretFile names (to remove those no longer configured). */
export const PROMETHEUS_SECRET_FILE = /^(remote_write|scrape)_[0-9]+_(password|bearer_token)$/;

/** Labels wmon itself puts on every series and alert (from `project` and `environment`). */
export const WMON_EXTERNAL_LABELS = ['project', 'environment'] as const;

/** `prometheus.externalLabels`: added to every series Prometheus sends away, and to its alerts. */
export const externalLabelsSchema = z
  .record(z.string(), z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'))
  .superRefine((labels, ctx) => {
    const names = Object.keys(labels);
    if (names.length > STORAGE_LIMITS.externalLabels) {
      ctx.addIssue({ code: 'custom', message: `at most ${STORAGE_LIMITS.externalLabels} labels` });
    }
    for (const name of names) {
      if (!LABEL_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: LABEL_NAME_RULE });
      else if ((WMON_EXTERNAL_LABELS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is set by wmon from the top-level ${name} key: set that instead`,
        });
      }
    }
  })
  .default({});

const HOST_PORT = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):([0-9]{1,5})$/;
const hostPort = z.string().refine((s) => {
  const port = Number(HOST_PORT.exec(s)?.[2] ?? 0);
  return port >= 1 && port <= 65_535;
}, 'must be host:port (a port from 1 to 65535), such as alertmanager-b.example.com:9094 or 10.0.0.2:9094');

/**
 * `alertmanager`: an HA pair (or more). With peers, Alertmanager joins their gossip cluster (shared
 * silences and notification log: one notification for an alert both receive); without, it runs alone with
 * the cluster off, as it always has.
 */
export const alertmanagerSchema = z
  .strictObject({
    /** The other members' cluster addresses (host:port). */
    peers: z.array(hostPort).max(STORAGE_LIMITS.peers, `at most ${STORAGE_LIMITS.peers} peers`).default([]),
    /** Host port of this Alertmanager's cluster listener (TCP and UDP), on its bind address. */
    clusterPort: z
      .number()
      .int('must be a port number (an integer from 1 to 65535)')
      .min(1, 'must be a port number (an integer from 1 to 65535)')
      .max(65_535, 'must be a port number (an integer from 1 to 65535)')
      .default(9094),
    /**
     * ip:port the peers reach this member's cluster port at (this host's address and clusterPort). An IP
     * address: Alertmanager refuses a host name here.
     */
    advertiseAddress: z
      .string()
      .refine((s) => {
        const m = HOST_PORT.exec(s);
        const port = Number(m?.[2] ?? 0);
        return m !== null && isIP(m[1]!.replace(/^\[|\]$/g, '')) !== 0 && port >= 1 && port <= 65_535;
      }, 'must be ip:port (Alertmanager takes no host name here), such as 10.0.0.1:9094 or [fd00::1]:9094')
      .optional(),
  })
  .refine((a) => a.peers.length === 0 || a.advertiseAddress !== undefined, {
    message:
      "give the address the peers reach this Alertmanager's cluster port at (this host's address and clusterPort, e.g. 10.0.0.1:9094): inside its container it only knows an address they cannot reach",
    path: ['advertiseAddress'],
  })
  .prefault({});
