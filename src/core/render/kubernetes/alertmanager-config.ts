import path from 'node:path';

import type { IAlertmanagerConfigSpec } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfigSpec';
import type { IMatcher } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/Matcher';
import type { IReceiver } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/Receiver';
import type { IRoute } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/Route';

import { WmonError } from '../../../errors.js';

/**
 * alertmanager.yml → an AlertmanagerConfig's spec. The local configuration (render/alertmanager.ts) is the one
 * description of routes and receivers; this maps it field by field onto the CRD, and refuses what has no
 * equivalent instead of dropping it. Secrets the local file reads from `*_file` paths become references to
 * the keys of one Secret, named like the files (`kubectl create secret generic … --from-file=` of the stack
 * directory's secrets/alertmanager/ folder gives exactly those keys).
 */

/**
 * Every field render/alertmanager.ts writes, per receiver type: the CRD's receiver list it goes to, its plain
 * fields (the CRD spells them in camelCase), the secret files (→ the CRD field holding a Secret key reference),
 * and fields that are maps locally and key/value lists in the CRD (email headers).
 */
interface ReceiverType {
  readonly to: keyof IReceiver;
  readonly plain: readonly string[];
  readonly secrets: Readonly<Record<string, string>>;
  readonly keyValues?: readonly string[];
}
const RECEIVER_TYPES: Readonly<Record<string, ReceiverType>> = {
  email_configs: {
    to: 'emailConfigs',
    plain: ['to', 'from', 'smarthost', 'auth_username', 'require_tls', 'send_resolved'],
    secrets: { auth_password_file: 'authPassword' },
    keyValues: ['headers'],
  },
  slack_configs: {
    to: 'slackConfigs',
    plain: ['channel', 'send_resolved', 'title', 'text'],
    secrets: { api_url_file: 'apiURL' },
  },
  pagerduty_configs: {
    to: 'pagerdutyConfigs',
    plain: ['send_resolved', 'severity', 'description', 'client', 'client_url'],
    secrets: { routing_key_file: 'routingKey' },
  },
  webhook_configs: { to: 'webhookConfigs', plain: ['send_resolved'], secrets: { url_file: 'urlSecret' } },
  msteamsv2_configs: {
    to: 'msteamsv2Configs',
    plain: ['send_resolved', 'title', 'text'],
    secrets: { webhook_url_file: 'webhookURL' },
  },
  opsgenie_configs: {
    to: 'opsgenieConfigs',
    plain: ['api_url', 'send_resolved', 'message', 'description', 'priority', 'tags'],
    secrets: { api_key_file: 'apiKey' },
  },
};

/** The CRD's spelling of a plain field: camelCase, with its acronyms in capitals. */
const CRD_SPELLING: Readonly<Record<string, string>> = {
  require_tls: 'requireTLS',
  client_url: 'clientURL',
  api_url: 'apiURL',
};
const crdField = (local: string) =>
  CRD_SPELLING[local] ?? local.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Route fields, local → CRD. */
const ROUTE_FIELDS: Readonly<Record<string, keyof IRoute>> = {
  receiver: 'receiver',
  group_by: 'groupBy',
  group_wait: 'groupWait',
  group_interval: 'groupInterval',
  repeat_interval: 'repeatInterval',
  continue: 'continue',
  matchers: 'matchers',
  routes: 'routes',
};

/**
 * Fields of alertmanager.yml's top level the AlertmanagerConfig has no place for, and why leaving them out is
 * right: `global.resolve_timeout` belongs to the Alertmanager itself (wmon renders its default, 5m).
 */
const TOP_LEVEL_OUTSIDE_CRD = new Set(['global']);

function unsupported(what: string): WmonError {
  return new WmonError(`The alert routing has ${what}, which an AlertmanagerConfig cannot express.`, {
    code: 'RENDER_TARGET_UNSUPPORTED',
    suggestions: ['Render the local stack (`wmon render --target local`), or leave that setting out of wmon.yaml.'],
  });
}

/** `severity="critical"`, `signal=~".+"` → the CRD's matcher objects. */
export function toMatcher(text: string): IMatcher {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"$/.exec(text);
  if (!m) throw unsupported(`the matcher ${text}`);
  return { name: m[1]!, matchType: m[2] as IMatcher['matchType'], value: JSON.parse(`"${m[3]!}"`) as string };
}

function route(local: Record<string, unknown>): IRoute {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(local)) {
    const to = ROUTE_FIELDS[key];
    if (!to) throw unsupported(`the route field ${key}`);
    if (key === 'matchers') out[to] = (value as string[]).map(toMatcher);
    else if (key === 'routes') out[to] = (value as Array<Record<string, unknown>>).map(route);
    else out[to] = value;
  }
  return out as IRoute;
}

function receiver(local: Record<string, unknown>, secretName: string): IReceiver {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(local)) {
    if (key === 'name') {
      out.name = value;
      continue;
    }
    const type = RECEIVER_TYPES[key];
    if (!type) throw unsupported(`a receiver of type ${key}`);
    out[type.to] = (value as Array<Record<string, unknown>>).map((cfg) => {
      const mapped: Record<string, unknown> = {};
      for (const [field, v] of Object.entries(cfg)) {
        const secret = type.secrets[field];
        if (secret) mapped[secret] = { name: secretName, key: path.posix.basename(String(v)) };
        else if (type.keyValues?.includes(field))
          mapped[crdField(field)] = Object.entries(v as Record<string, string>).map(([k, val]) => ({
            key: k,
            value: val,
          }));
        else if (type.plain.includes(field)) mapped[crdField(field)] = v;
        else throw unsupported(`the ${key} field ${field}`);
      }
      return mapped;
    });
  }
  return out as unknown as IReceiver;
}

/** The AlertmanagerConfig spec of a rendered alertmanager.yml; secrets come from `secretName`'s keys. */
export function toAlertmanagerConfigSpec(local: Record<string, unknown>, secretName: string): IAlertmanagerConfigSpec {
  for (const key of Object.keys(local)) {
    if (!['route', 'receivers', 'inhibit_rules'].includes(key) && !TOP_LEVEL_OUTSIDE_CRD.has(key)) {
      throw unsupported(`the top-level setting ${key}`);
    }
  }
  const inhibit = (local.inhibit_rules as Array<Record<string, unknown>> | undefined) ?? [];
  return {
    route: route(local.route as Record<string, unknown>),
    receivers: (local.receivers as Array<Record<string, unknown>>).map((r) => receiver(r, secretName)),
    inhibitRules: inhibit.map((rule) => {
      for (const key of Object.keys(rule)) {
        if (!['source_matchers', 'target_matchers', 'equal'].includes(key))
          throw unsupported(`the inhibit field ${key}`);
      }
      return {
        sourceMatch: ((rule.source_matchers as string[] | undefined) ?? []).map(toMatcher),
        targetMatch: ((rule.target_matchers as string[] | undefined) ?? []).map(toMatcher),
        ...(rule.equal ? { equal: [...(rule.equal as string[])] } : {}),
      };
    }),
  };
}
