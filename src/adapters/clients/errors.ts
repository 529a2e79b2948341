import { WmonError, type ErrorCode } from '../../errors.js';

/** The stack components wmon talks to over HTTP. */
export type ComponentName = 'Prometheus' | 'Alertmanager' | 'Grafana' | 'Loki' | 'Jaeger' | 'webhook service';

/**
 * What went wrong with a request:
 * - `connection-refused`: nothing listens on the port (the component is down or not started yet);
 * - `timeout`: no complete answer within the client's timeout;
 * - `network`: another transport failure (reset, unknown host, ...);
 * - `auth`: HTTP 401/403, the credentials were refused;
 * - `http`: any other unexpected HTTP status;
 * - `bad-response`: the component answered, but not in the documented shape.
 */
export type RequestFailure = 'connection-refused' | 'timeout' | 'network' | 'auth' | 'http' | 'bad-response';

const CODES: Record<RequestFailure, ErrorCode> = {
  'connection-refused': 'COMPONENT_CONNECTION_REFUSED',
  timeout: 'COMPONENT_TIMEOUT',
  network: 'COMPONENT_NETWORK_ERROR',
  auth: 'COMPONENT_AUTH_FAILED',
  http: 'COMPONENT_HTTP_ERROR',
  'bad-response': 'COMPONENT_BAD_RESPONSE',
};

export interface ComponentRequestErrorDetails {
  readonly component: ComponentName;
  readonly method: string;
  /** The URL requested (never with credentials in it). */
  readonly url: string;
  readonly failure: RequestFailure;
  /** A short description of what happened, e.g. `connection refused` or `timeout after 5000 ms`. */
  readonly what: string;
  readonly status?: number;
  /** The component's own error message, when it sent one. */
  readonly apiMessage?: string;
  readonly timeoutMs?: number;
}

/**
 * A request to a stack component failed. The message names the component, the request and what
 * happened; `failure` tells the kind, so `wmon check` can say "down" rather than "misconfigured".
 */
export class ComponentRequestError extends WmonError {
  readonly component: ComponentName;
  readonly method: string;
  readonly url: string;
  readonly failure: RequestFailure;
  readonly status: number | undefined;
  readonly apiMessage: string | undefined;
  readonly timeoutMs: number | undefined;

  constructor(details: ComponentRequestErrorDetails) {
    super(`${details.component}: ${details.method} ${details.url} failed: ${details.what}`, {
      code: CODES[details.failure],
      suggestions: suggestionsFor(details),
    });
    this.name = 'ComponentRequestError';
    this.component = details.component;
    this.method = details.method;
    this.url = details.url;
    this.failure = details.failure;
    this.status = details.status;
    this.apiMessage = details.apiMessage;
    this.timeoutMs = details.timeoutMs;
  }
}

export function isComponentRequestError(error: unknown): error is ComponentRequestError {
  return error instanceof ComponentRequestError;
}

function suggestionsFor(d: ComponentRequestErrorDetails): string[] {
  switch (d.failure) {
    case 'connection-refused':
      return [`Is ${d.component} running? \`wmon check\` shows the state of every component.`];
    case 'timeout':
      return [`${d.component} is up but slow or stuck; look at its logs, or raise the client timeout.`];
    case 'auth':
      return [`${d.component} refused the credentials: check credentials (wmon urls --show-credentials).`];
    case 'bad-response':
      return [`Is this really ${d.component}, in a supported version? Check the URL and port.`];
    default:
      return [];
  }
}
