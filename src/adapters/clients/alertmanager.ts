/**
 * Alertmanager API v2 (api/v2/openapi.yaml in prometheus/alertmanager) and its management API
 * (`/-/ready`, `/-/reload`). Validation failures come back as 422 `{code, message}`, other errors as a
 * JSON string; both end up in ComponentRequestError's message.
 */
import { z } from 'zod';
import { createTransport, type ClientOptions } from './http.js';
import type { Labels } from './types.js';

export interface AlertmanagerStatus {
  /** The loaded configuration as Alertmanager dumps it (YAML, defaults filled in, secrets masked). */
  readonly configYaml: string;
  readonly version: string;
  readonly versionInfo: Readonly<Record<string, string>>;
  /** `ready`, `settling` or `disabled` (no cluster). */
  readonly clusterStatus: string;
  /** RFC 3339 start time. */
  readonly uptime: string;
}

export interface AlertmanagerAlert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly fingerprint: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  /** `active`, `suppressed` (silenced or inhibited) or `unprocessed`. */
  readonly state: 'unprocessed' | 'active' | 'suppressed';
  readonly silencedBy: readonly string[];
  readonly inhibitedBy: readonly string[];
  readonly receivers: readonly string[];
  readonly generatorURL: string | undefined;
}

export interface AlertsFilter {
  /** Only alerts whose labels equal these. */
  readonly labels?: Labels;
  /** Include active alerts (default true). */
  readonly active?: boolean;
  readonly silenced?: boolean;
  readonly inhibited?: boolean;
  readonly unprocessed?: boolean;
}

export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  /** false for `!=` / `!~` (Alertmanager ≥ 0.22); default true. */
  readonly isEqual?: boolean;
}

export interface Silence {
  readonly id: string;
  readonly state: 'expired' | 'active' | 'pending';
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

export interface NewSilence {
  /** Set to update an existing silence. */
  readonly id?: string;
  readonly matchers: readonly SilenceMatcher[];
  /** Default: now. */
  readonly startsAt?: Date | string;
  readonly endsAt: Date | string;
  readonly createdBy: string;
  readonly comment: string;
}

export interface AlertmanagerClient {
  /** `GET /api/v2/status`: the loaded config, version and cluster state. */
  status(): Promise<AlertmanagerStatus>;
  /** `GET /api/v2/alerts`, optionally filtered by labels and state. */
  alerts(filter?: AlertsFilter): Promise<AlertmanagerAlert[]>;
  /** `GET /api/v2/silences`: every silence, expired ones included. */
  silences(): Promise<Silence[]>;
  /** `POST /api/v2/silences`: the silence's id. */
  createSilence(silence: NewSilence): Promise<string>;
  /** `DELETE /api/v2/silence/{id}`: expires the silence. */
  deleteSilence(id: string): Promise<void>;
  /** `GET /-/ready`: true on 200, false on 503; throws if unreachable. */
  ready(): Promise<boolean>;
  /** `POST /-/reload`; throws with Alertmanager's reason if the new config fails to load. */
  reload(): Promise<void>;
}

const labels = z.record(z.string(), z.string());

const statusSchema = z.object({
  cluster: z.object({ status: z.string() }),
  versionInfo: z.object({ version: z.string() }).catchall(z.string()),
  config: z.object({ original: z.string() }),
  uptime: z.string(),
});

const alertSchema = z.object({
  labels,
  annotations: labels,
  fingerprint: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  updatedAt: z.string(),
  receivers: z.array(z.object({ name: z.string() })),
  status: z.object({
    state: z.enum(['unprocessed', 'active', 'suppressed']),
    silencedBy: z.array(z.string()).nullish(),
    inhibitedBy: z.array(z.string()).nullish(),
  }),
  generatorURL: z.string().optional(),
});

const matcherSchema = z.object({
  name: z.string(),
  value: z.string(),
  isRegex: z.boolean(),
  isEqual: z.boolean().optional(),
});

const silenceSchema = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(['expired', 'active', 'pending']) }),
  matchers: z.array(matcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});

export function createAlertmanagerClient(options: ClientOptions): AlertmanagerClient {
  const http = createTransport('Alertmanager', options);

  return {
    async status() {
      const s = await http.json({ path: '/api/v2/status' }, statusSchema);
      return {
        configYaml: s.config.original,
        version: s.versionInfo.version,
        versionInfo: s.versionInfo,
        clusterStatus: s.cluster.status,
        uptime: s.uptime,
      };
    },

    async alerts(filter = {}) {
      const matchers = Object.entries(filter.labels ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      const list = await http.json(
        {
          path: '/api/v2/alerts',
          query: {
            active: filter.active,
            silenced: filter.silenced,
            inhibited: filter.inhibited,
            unprocessed: filter.unprocessed,
            filter: matchers,
          },
        },
        z.array(alertSchema),
      );
      return list.map((a) => ({
        labels: a.labels,
        annotations: a.annotations,
        fingerprint: a.fingerprint,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        updatedAt: a.updatedAt,
        state: a.status.state,
        silencedBy: a.status.silencedBy ?? [],
        inhibitedBy: a.status.inhibitedBy ?? [],
        receivers: a.receivers.map((r) => r.name),
        generatorURL: a.generatorURL || undefined,
      }));
    },

    async silences() {
      const list = await http.json({ path: '/api/v2/silences' }, z.array(silenceSchema));
      return list.map((s) => ({
        id: s.id,
        state: s.status.state,
        matchers: s.matchers,
        startsAt: s.startsAt,
        endsAt: s.endsAt,
        updatedAt: s.updatedAt,
        createdBy: s.createdBy,
        comment: s.comment,
      }));
    },

    async createSilence(silence) {
      const body = {
        ...(silence.id ? { id: silence.id } : {}),
        matchers: silence.matchers.map((m) => ({
          name: m.name,
          value: m.value,
          isRegex: m.isRegex,
          isEqual: m.isEqual ?? true,
        })),
        startsAt: isoTime(silence.startsAt ?? new Date()),
        endsAt: isoTime(silence.endsAt),
        createdBy: silence.createdBy,
        comment: silence.comment,
      };
      const res = await http.json(
        { method: 'POST', path: '/api/v2/silences', body },
        z.object({ silenceID: z.string().min(1) }),
      );
      return res.silenceID;
    },

    async deleteSilence(id) {
      await http.request({ method: 'DELETE', path: `/api/v2/silence/${encodeURIComponent(id)}` });
    },

    async ready() {
      const res = await http.request({ path: '/-/ready', okStatuses: [503] });
      return res.status === 200;
    },

    async reload() {
      await http.request({ method: 'POST', path: '/-/reload' });
    },
  };
}

function isoTime(t: Date | string): string {
  return t instanceof Date ? t.toISOString() : t;
}
