/**
 * The service's HTTP routes and the bodies of its health endpoints, as the CLI reads them.
 */

/** Every route the service answers. Anything else is a 404, counted with the route label `other`. */
export const ROUTES = {
  /** `POST`: a Stripe event, signed in its `Stripe-Signature` header. Public listener only. */
  webhook: '/webhooks/stripe',
  /** `GET`: 200 while the process runs ({@link HealthBody}). On both listeners. */
  health: '/healthz',
  /** `GET`: 200 when the database and cache answer, else 503 ({@link ReadinessBody}). Internal listener only. */
  ready: '/readyz',
  /** `GET`: Prometheus text format. Internal listener only. */
  metrics: '/metrics',
  /**
   * `GET`: 200 ({@link HealthBody}) while the process runs, for the blackbox exporter's reachability probes.
   * Public listener only, under the webhook route so that a proxy forwarding that route's prefix forwards it
   * too. It touches no store, and counts as neither an event nor a signature failure.
   */
  reachability: '/webhooks/stripe/reachability',
} as const;

export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/**
 * The service's two listeners. The public one is what Stripe must reach (from the internet, behind a
 * proxy or a published port); the internal one is for the stack only (Prometheus scrapes it, wmon waits on
 * its readiness) and is never exposed.
 */
export const SERVICE_LISTENERS = {
  public: {
    /** The environment variable setting its port. */
    portEnv: 'PORT',
    /** Its port in wmon's container (and the service's default). */
    port: 8080,
    routes: [ROUTES.webhook, ROUTES.health, ROUTES.reachability],
  },
  internal: {
    portEnv: 'METRICS_PORT',
    port: 9464,
    routes: [ROUTES.metrics, ROUTES.ready, ROUTES.health],
  },
} as const satisfies Record<string, { portEnv: string; port: number; routes: readonly Route[] }>;

export type ServiceListener = keyof typeof SERVICE_LISTENERS;

/** The value of the `route` label for a path that is none of {@link ROUTES}, and of the `method` label likewise. */
export const OTHER_LABEL = 'other';

/** The `route` label's values. */
export const ROUTE_LABELS = [
  ROUTES.webhook,
  ROUTES.health,
  ROUTES.ready,
  ROUTES.metrics,
  ROUTES.reachability,
  OTHER_LABEL,
] as const;
export type RouteLabel = (typeof ROUTE_LABELS)[number];

/** The `method` label's values: the usual HTTP methods, and `other` for anything else. */
export const METHOD_LABELS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', OTHER_LABEL] as const;
export type MethodLabel = (typeof METHOD_LABELS)[number];

/** The body of `GET /healthz`. */
export interface HealthBody {
  readonly status: 'ok';
}

/** The `status` of `GET /readyz`: `ok` with HTTP 200, the others with 503. */
export const READINESS_STATUSES = ['ok', 'not_ready', 'shutting_down'] as const;
export type ReadinessStatus = (typeof READINESS_STATUSES)[number];

/** The dependencies `GET /readyz` checks, in the order it lists them. */
export const READINESS_CHECKS = ['database', 'cache'] as const;
export type ReadinessCheckName = (typeof READINESS_CHECKS)[number];

export interface ReadinessCheck {
  readonly ok: boolean;
  /** Why the dependency does not answer (absent when `ok`). */
  readonly error?: string;
}

/**
 * The body of `GET /readyz`, e.g.
 * `{"status":"not_ready","checks":{"database":{"ok":true},"cache":{"ok":false,"error":"…"}}}`.
 * While shutting down, `checks` is empty.
 */
export interface ReadinessBody {
  readonly status: ReadinessStatus;
  readonly checks: { readonly [K in ReadinessCheckName]?: ReadinessCheck };
}
