import { SECRETS_MOUNT_DIR } from '@wmon/contract';

/**
 * The web configuration file of Prometheus, Alertmanager and the node exporter (`--web.config.file`, the
 * Prometheus exporter-toolkit format: docs/web-configuration.md): basic auth with a bcrypt hash. They read it
 * on every request, so a new password takes effect without a restart. It is written beside each component's
 * secret files (it holds the hash), not with the rendered configuration.
 */
export const WEB_CONFIG_FILE = 'web-config.yml';

/** Where the web configuration is inside the containers that read one. */
export const WEB_CONFIG_PATH = `${SECRETS_MOUNT_DIR}/${WEB_CONFIG_FILE}`;

export interface WebAuth {
  readonly username: string;
  /** bcrypt hash of the password ($2a$/$2b$/$2y$, cost 10 or more). */
  readonly bcryptHash: string;
}

export function buildWebConfig(auth: WebAuth): Record<string, unknown> {
  return { basic_auth_users: { [auth.username]: auth.bcryptHash } };
}
