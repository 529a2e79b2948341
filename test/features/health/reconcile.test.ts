import { describe, expect, it } from 'vitest';

import { reconcileRow } from '../../../src/features/health/checks/reconcile.js';

const finishedAt = new Date(Date.now() - 30_000).toISOString();

describe("wmon check: the last reconcile with Stripe's line", () => {
  it('is OK before the first run and when nothing is missing', () => {
    expect(reconcileRow({ status: 'never' }, '10m')).toEqual({
      status: 'OK',
      detail: 'no reconcile yet (the first runs shortly after start-up, then every 10m)',
    });
    expect(
      reconcileRow({ status: 'ok', finishedAt, listed: 12, missingCount: 0, since: '2026-01-01T00:00:00.000Z' }, '10m'),
    ).toEqual({
      status: 'OK',
      detail: "last reconcile 30 s ago: all 12 of Stripe's events since 2026-01-01T00:00:00.000Z stored",
    });
  });

  it('warns when events never arrived, when the run failed, and when the service has no key', () => {
    expect(reconcileRow({ status: 'ok', finishedAt, listed: 12, missingCount: 3, recovered: 3 }, '10m')).toEqual({
      status: 'WARNING',
      detail:
        'last reconcile 30 s ago: 3 event(s) Stripe has never reached the service (3 recovered by that run); `wmon reconcile` lists what is still missing',
    });
    expect(
      reconcileRow(
        {
          status: 'error',
          finishedAt,
          error: { reason: 'authentication', message: 'Stripe refused the API key (HTTP 401)' },
        },
        '10m',
      ),
    ).toEqual({
      status: 'WARNING',
      detail: 'last reconcile 30 s ago failed (authentication): Stripe refused the API key (HTTP 401)',
    });
    expect(reconcileRow({ status: 'disabled' }, '10m').status).toBe('WARNING');
  });
});
