/**
 * The version a running component of the Prometheus family reports, checked against the oldest wmon
 * supports. An image tag does not always say (`latest`, a digest, an image of another name): once a
 * component answers, it is asked (Prometheus: /api/v1/status/buildinfo, Alertmanager: /api/v2/status,
 * node exporter: node_exporter_build_info on /metrics).
 */
import { findSamples, parseExposition } from '../adapters/clients/index.js';
import { basicAuthHeader, httpGet } from '../adapters/runtime/readiness.js';
import type { ClientTls } from '../core/model/container-types.js';
import { defaultDeps, type ClientFactories } from '../context.js';
import {
  MINIMUM_VERSIONS,
  unsupportedVersionError,
  versionProblem,
  type VersionedComponent,
} from '../core/model/versions.js';

const TIMEOUT_MS = 5000;

type BasicAuth = { readonly username: string; readonly password: string };
const MAX_METRICS_BYTES = 8 * 1024 * 1024;

export function isVersioned(component: string): component is VersionedComponent {
  return Object.hasOwn(MINIMUM_VERSIONS, component);
}

/** What the component at `baseUrl` says its version is; undefined when it does not say. */
export async function runningVersion(
  component: VersionedComponent,
  baseUrl: string,
  clients: Pick<ClientFactories, 'prometheus' | 'alertmanager'> = defaultDeps().clients,
  auth?: BasicAuth,
  tls?: ClientTls,
): Promise<string | undefined> {
  const options = {
    baseUrl,
    timeoutMs: TIMEOUT_MS,
    ...(auth ? { auth: { kind: 'basic' as const, ...auth } } : {}),
    ...(tls ? { tls } : {}),
  };
  if (component === 'prometheus') return (await clients.prometheus(options).buildInfo()).version;
  if (component === 'alertmanager') return (await clients.alertmanager(options).status()).version;
  const res = await httpGet(`${baseUrl.replace(/\/+$/, '')}/metrics`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    ...(auth ? { headers: { Authorization: basicAuthHeader(auth) } } : {}),
    tls,
  });
  if (res.status < 200 || res.status > 299) return undefined;
  const text = res.body;
  if (text.length > MAX_METRICS_BYTES) return undefined;
  return findSamples(parseExposition(text), 'node_exporter_build_info')[0]?.labels.version;
}

/**
 * Refuse a running component older than wmon supports (exit 78, naming the minimum). A component that
 * does not say its version (or cannot be asked) is let be: the image tags were checked before.
 */
export async function checkRunningVersion(
  component: string,
  baseUrl: string,
  what: string,
  clients?: Pick<ClientFactories, 'prometheus' | 'alertmanager'>,
  auth?: BasicAuth,
  tls?: ClientTls,
): Promise<void> {
  if (!isVersioned(component)) return;
  const version = await runningVersion(component, baseUrl, clients, auth, tls).catch(() => undefined);
  const problem = version === undefined ? undefined : versionProblem(component, version);
  if (problem) throw unsupportedVersionError(what, [{ component, line: problem }]);
}
