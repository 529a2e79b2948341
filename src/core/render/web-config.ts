import { SECRETS_MOUNT_DIR } from '@wmon/contract';

/**
 * The web configuration file of Prometheus, Alertmanager and the node exporter (`--web.config.file`, the
 * Prometheus exporter-toolkit format: docs/web-configuration.md): basic auth with a bcrypt hash. They read it
 * on every request, so a new password takes effect without a restart. It is written beside each component's
 * secret files (it holds the hash), not with the rendered configuration.
 */
export const WEB_CONFIG_FILE = 'web-config.yml';

/**
 * The web configuration's name with `auth.tls`. The components decide between HTTP and HTTPS once, when they
 * start (the users and certificates they read again on every request or handshake), so TLS on or off must
 * give them another command line, hence a new container: the file's name says which.
 */
export const WEB_TLS_CONFIG_FILE = 'web-config-tls.yml';

export function webConfigFile(tls: boolean): string {
  return tls ? WEB_TLS_CONFIG_FILE : WEB_CONFIG_FILE;
}

/** Where the web configuration is inside the containers that read one. */
export function webConfigPath(tls: boolean): string {
  return `${SECRETS_MOUNT_DIR}/${webConfigFile(tls)}`;
}

export interface WebAuth {
  readonly username: string;
  /** bcrypt hash of the password ($2a$/$2b$/$2y$, cost 10 or more). */
  readonly bcryptHash: string;
}

/**
 * With `auth.tls`: the certificate and key the three components serve HTTPS with, and the certificates their
 * clients (Prometheus, Grafana) trust (the CA file, else the certificate itself). Written beside the web
 * configuration in each component's secrets folder (never with the rendered configuration, never in a backup).
 */
export const TLS_FILES = { cert: 'tls-cert.pem', key: 'tls-key.pem', ca: 'tls-ca.pem' } as const;
export const TLS_PATHS = {
  cert: `${SECRETS_MOUNT_DIR}/${TLS_FILES.cert}`,
  key: `${SECRETS_MOUNT_DIR}/${TLS_FILES.key}`,
  ca: `${SECRETS_MOUNT_DIR}/${TLS_FILES.ca}`,
} as const;

export function buildWebConfig(auth: WebAuth, tls = false): Record<string, unknown> {
  return {
    ...(tls ? { tls_server_config: { cert_file: TLS_PATHS.cert, key_file: TLS_PATHS.key } } : {}),
    basic_auth_users: { [auth.username]: auth.bcryptHash },
  };
}

/** Prometheus's `tls_config` for a scrape or an Alertmanager: the trusted certificates and the name to check. */
export function clientTlsConfig(config: { readonly auth?: { readonly tls?: { readonly serverName: string } } }) {
  const tls = config.auth?.tls;
  return tls ? { tls_config: { ca_file: TLS_PATHS.ca, server_name: tls.serverName } } : {};
}
