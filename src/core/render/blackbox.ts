/**
 * The blackbox exporter: its configuration (one HTTP module) and the targets Prometheus asks it to probe,
 * the webhook service's reachability route as Stripe reaches it (`service.publicUrl`) and as the stack does.
 * A probe GETs that route, which the service answers without its store: no event, no signature failure.
 */
import { ROUTES } from '@wmon/contract';

import { handlerOf } from '../config/scrape.js';
import type { Config } from '../config/schema.js';
import { CONTAINER_PORTS, DNS_NAMES, isEnabled } from '../model/stack.js';

/** Its configuration file under the stack directory (mounted at BLACKBOX_CONFIG_DIR_IN_CONTAINER). */
export const BLACKBOX_CONFIG_FILE = 'blackbox-exporter/blackbox.yml';

/** The module the probes use (`/probe?module=…`). */
export const REACHABILITY_MODULE = 'webhook_reachability';

/**
 * The module that probes your own handler's public URL (`handler.publicUrl`), as it is: any answer but a server
 * error (a webhook route often answers a GET with 404 or 405) says the handler is reachable.
 */
export const HANDLER_MODULE = 'handler_reachability';

/** The module of every probe: your own handler's, or the bundled service's reachability route. */
export function probeModule(config: Config): string {
  return handlerOf(config)?.publicUrl === undefined ? REACHABILITY_MODULE : HANDLER_MODULE;
}

/** The scrape job of the probes: named after the exporter's DNS name, like every other job. */
export const BLACKBOX_JOB = DNS_NAMES.blackboxExporter;

/** How long one probe may take (Prometheus's scrape timeout, 10 s by default, caps it too). */
export const PROBE_TIMEOUT = '5s';

/** Which side a probe reaches the service from: the `probe` label of its series. */
export type ProbeKind = 'public' | 'internal';

export interface ProbeTarget {
  readonly probe: ProbeKind;
  readonly url: string;
}

/** The reachability URL under a webhook URL: `https://h/webhooks/stripe` → `https://h/webhooks/stripe/reachability`. */
export function reachabilityUrl(webhookUrl: string): string {
  const suffix = ROUTES.reachability.slice(ROUTES.webhook.length);
  return `${webhookUrl.replace(/\/+$/, '')}${suffix}`;
}

/** What the blackbox exporter probes: the public URL when set, the bundled service inside the stack when on. */
export function probeTargets(config: Config): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  const handlerUrl = handlerOf(config)?.publicUrl;
  if (handlerUrl !== undefined) return [{ probe: 'public', url: handlerUrl }];
  if (config.service.publicUrl) targets.push({ probe: 'public', url: reachabilityUrl(config.service.publicUrl) });
  if (isEnabled(config, 'webhook')) {
    targets.push({
      probe: 'internal',
      url: `http://${DNS_NAMES.webhook}:${CONTAINER_PORTS.webhook}${ROUTES.reachability}`,
    });
  }
  return targets;
}

/** blackbox.yml: one module, a GET that wants the service's own 200 answer (a proxy's page does not count). */
export function buildBlackboxConfig(config?: Config): Record<string, unknown> {
  const handler = config !== undefined && probeModule(config) === HANDLER_MODULE;
  return {
    modules: {
      ...(handler
        ? {
            [HANDLER_MODULE]: {
              prober: 'http',
              timeout: PROBE_TIMEOUT,
              http: {
                method: 'GET',
                valid_status_codes: [200, 201, 202, 204, 301, 302, 400, 401, 403, 404, 405],
                no_follow_redirects: true,
                preferred_ip_protocol: 'ip4',
                ip_protocol_fallback: true,
              },
            },
          }
        : {}),
      [REACHABILITY_MODULE]: {
        prober: 'http',
        timeout: PROBE_TIMEOUT,
        http: {
          method: 'GET',
          valid_status_codes: [200],
          preferred_ip_protocol: 'ip4',
          ip_protocol_fallback: true,
          fail_if_body_not_matches_regexp: ['"status":"ok"'],
        },
      },
    },
  };
}
