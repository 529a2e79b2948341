/**
 * The service's reconcile with Stripe (its internal `/reconcile` route), as the CLI asks for it and reads
 * its answers.
 */
import type { ReconcileErrorReason } from './labels.js';

/** The window a reconcile compares, in seconds back from now: at least a minute, at most Stripe's 30 days. */
export const RECONCILE_WINDOW_BOUNDS = { minSeconds: 60, maxSeconds: 30 * 86_400 } as const;
/** The default window (72h) and interval (10m), in seconds. */
export const RECONCILE_DEFAULTS = { windowSeconds: 72 * 3600, intervalSeconds: 600 } as const;
/** The interval between two automatic reconciles: at least a minute, at most a day. */
export const RECONCILE_INTERVAL_BOUNDS = { minSeconds: 60, maxSeconds: 86_400 } as const;
/** At most this many missing events are listed in one answer (the count is always whole). */
export const RECONCILE_MAX_LISTED = 1000;

/** The body of `POST /reconcile`. */
export interface ReconcileRequest {
  /** The window, in seconds back from now (default the service's RECONCILE_WINDOW). */
  readonly sinceSeconds?: number;
  /** Store and process what is missing (default false: only list it). */
  readonly replay?: boolean;
}

export interface MissingEvent {
  readonly id: string;
  readonly type: string;
  /** Stripe's `created` (Unix seconds). */
  readonly created: number;
  /** True when this run stored it (replay); false when only listed. */
  readonly recovered: boolean;
}

/**
 * The answer of `POST /reconcile` (200 when the run completed, 502 when Stripe failed it, 409 when the
 * service has no API key) and of `GET /reconcile` (the last run; `status: "never"` before the first).
 */
export interface ReconcileResult {
  readonly status: 'ok' | 'error' | 'disabled' | 'never';
  /** What triggered it: the service's own timer, or a request (wmon reconcile). */
  readonly trigger?: 'timer' | 'request';
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The window compared: events created at or after `since` (ISO time). */
  readonly since?: string;
  readonly replay?: boolean;
  /** Events Stripe listed in the window, and pages read. */
  readonly listed?: number;
  readonly pages?: number;
  /** How many of them the service had not stored (the gauge), with up to RECONCILE_MAX_LISTED of them. */
  readonly missingCount?: number;
  readonly missing?: readonly MissingEvent[];
  /** How many this run stored. */
  readonly recovered?: number;
  /** Set when status is `error`, or when a run stopped short (`page_limit`). */
  readonly error?: { readonly reason: ReconcileErrorReason; readonly message: string };
  /** The last successful reconcile (ISO time), if any. */
  readonly lastSuccessAt?: string;
}
