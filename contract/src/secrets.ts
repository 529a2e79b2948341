/**
 * Secrets inside the containers: wmon writes each component's secret files into a folder it mounts at
 * SECRETS_MOUNT_DIR, and points the component at them (environment variables or rendered configuration).
 * The host folder that is mounted holds the same file names (<stack dir>/secrets/<component>/<file>).
 */

/** Where each component's secret files appear inside its container. */
export const SECRETS_MOUNT_DIR = '/run/secrets/wmon';

/** The file name of each secret, inside SECRETS_MOUNT_DIR (and in the host folder mounted there). */
export const SECRET_FILES = {
  stripeWebhookSecret: 'stripe_webhook_secret',
  databaseUrl: 'database_url',
  redisUrl: 'redis_url',
  grafanaAdminPassword: 'grafana_admin_password',
  smtpPassword: 'smtp_password',
  slackWebhookUrl: 'slack_webhook_url',
  pagerdutyRoutingKey: 'pagerduty_routing_key',
  /** The password of wmon.yaml's `auth` (Prometheus's scrapes and alerts, Grafana's data source). */
  authPassword: 'auth_password',
  heartbeatUrl: 'heartbeat_url',
  genericWebhookUrl: 'webhook_url',
  msteamsWebhookUrl: 'msteams_webhook_url',
  opsgenieApiKey: 'opsgenie_api_key',
  /** A Stripe API key (restricted, read access to events) for the service's reconcile with Stripe. */
  stripeApiKey: 'stripe_api_key',
} as const;

export type SecretFileKey = keyof typeof SECRET_FILES;

/** The path of a secret inside a container, e.g. `/run/secrets/wmon/stripe_webhook_secret`. */
export function secretPath<K extends SecretFileKey>(key: K): `${typeof SECRETS_MOUNT_DIR}/${(typeof SECRET_FILES)[K]}` {
  return `${SECRETS_MOUNT_DIR}/${SECRET_FILES[key]}`;
}

/**
 * The webhook service's secrets: the variable holding the value, and the `<NAME>_FILE` variable naming a
 * file that holds it instead (wmon sets the latter, so values stay out of `docker inspect`).
 */
export const SERVICE_SECRET_ENV = {
  stripeWebhookSecret: { value: 'STRIPE_WEBHOOK_SECRET', file: 'STRIPE_WEBHOOK_SECRET_FILE' },
  databaseUrl: { value: 'DATABASE_URL', file: 'DATABASE_URL_FILE' },
  redisUrl: { value: 'REDIS_URL', file: 'REDIS_URL_FILE' },
  stripeApiKey: { value: 'STRIPE_API_KEY', file: 'STRIPE_API_KEY_FILE' },
} as const satisfies { readonly [K in SecretFileKey]?: { readonly value: string; readonly file: `${string}_FILE` } };

export type ServiceSecretKey = keyof typeof SERVICE_SECRET_ENV;
