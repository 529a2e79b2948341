/**
 * One definition of how long an alert has fired, used by `wmon check` and `wmon report`: firing starts when
 * the alert fired, not when it became pending. Prometheus's API gives `activeAt` (when the expression first
 * held, i.e. when the alert went pending); it fires at the first rule evaluation at which it has been active
 * for its rule's `for` (rules/alerting.go: `ts.Sub(a.ActiveAt) >= holdDuration`), so it fired at
 * `activeAt + for` (exactly, when `for` is a multiple of the evaluation interval; else at most one interval
 * later). `keep_firing_for` prolongs the end of firing, not its start. The report reads the same moment from the
 * `ALERTS{alertstate="firing"}` series, whose first sample is that evaluation.
 */

/** When an alert that became active at `activeAt` (RFC 3339) fired, for a rule with `for` of `forSeconds`. */
export function firedAt(activeAt: string | undefined, forSeconds: number): Date | null {
  if (!activeAt) return null;
  const t = Date.parse(activeAt);
  if (Number.isNaN(t) || t <= 0) return null;
  return new Date(t + Math.max(0, forSeconds) * 1000);
}
