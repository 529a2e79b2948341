/** How a failed request reads in a check's detail, and what state it means. */
import { isComponentRequestError } from '../../adapters/clients/index.js';
import type { CheckStatus } from '../../results.js';

/** Short: `connection refused`, `timeout after 5000 ms`, `HTTP 500: …`. */
export function whatFailed(error: unknown): string {
  if (isComponentRequestError(error)) {
    const m = /failed: (.*)$/s.exec(error.message);
    return m?.[1] ?? error.message;
  }
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}

/** True when the component did not answer at all (down, hung, unreachable). */
export function isUnreachable(error: unknown): boolean {
  return (
    isComponentRequestError(error) &&
    (error.failure === 'connection-refused' || error.failure === 'timeout' || error.failure === 'network')
  );
}

/**
 * A check that reads through Prometheus cannot tell anything when Prometheus fails: UNKNOWN, saying so.
 * Errors of other components are returned undefined (the caller decides).
 */
export function prometheusFailure(error: unknown, url: string): { status: CheckStatus; detail: string } | undefined {
  if (isComponentRequestError(error) && error.component === 'Prometheus') {
    return {
      status: 'UNKNOWN',
      detail: isUnreachable(error)
        ? `cannot tell: Prometheus is unreachable at ${url} (${whatFailed(error)})`
        : `cannot tell: Prometheus failed (${whatFailed(error)})`,
    };
  }
  return undefined;
}

/** A component asked directly: unreachable or erroring is CRITICAL, refused credentials UNKNOWN. */
export function componentFailure(error: unknown, who: string): { status: CheckStatus; detail: string } {
  if (isComponentRequestError(error) && error.failure === 'auth') {
    return { status: 'UNKNOWN', detail: `cannot tell: ${who} refused the credentials (${whatFailed(error)})` };
  }
  if (isUnreachable(error)) return { status: 'CRITICAL', detail: `${who} is not answering (${whatFailed(error)})` };
  return { status: 'CRITICAL', detail: `${who} failed: ${whatFailed(error)}` };
}

/** `42 s ago`, `3 min ago`, from an RFC 3339 time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return 'never';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
