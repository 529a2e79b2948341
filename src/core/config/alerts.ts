import { z } from 'zod';

/** A Prometheus duration as used in `for:` clauses, e.g. 30s, 5m, 1h. */
export const promDuration = z
  .string()
  .regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be a Prometheus duration such as 30s, 5m or 1h');

const percent = z.number().gt(0, 'must be greater than 0').max(100, 'must be at most 100 (a percentage)');
const positive = z.number().gt(0, 'must be greater than 0');

/**
 * Alert thresholds (wmon.yaml `alerts:`). Defaults are SPEC.md's. Each alert's `for` is configurable;
 * `critical` must be stricter than `warning` where both exist.
 */
export const alertsSchema = z
  .strictObject({
    errorRatePercent: z
      .strictObject({
        critical: percent.default(10),
        warning: percent.default(5),
        criticalFor: promDuration.default('5m'),
        warningFor: promDuration.default('15m'),
      })
      .prefault({}),
    latencyP95Ms: z
      .strictObject({
        critical: positive.default(1000),
        warning: positive.default(500),
        criticalFor: promDuration.default('5m'),
        warningFor: promDuration.default('15m'),
      })
      .prefault({}),
    memoryPercent: z.strictObject({ warning: percent.default(85), for: promDuration.default('5m') }).prefault({}),
    cpuPercent: z.strictObject({ warning: positive.default(75), for: promDuration.default('5m') }).prefault({}),
    databaseDownFor: promDuration.default('1m'),
    cacheDownFor: promDuration.default('1m'),
    targetDownFor: promDuration.default('1m'),
    /** Signature failures per second (5m rate) above which a warning fires. */
    signatureFailuresPerSecond: z
      .strictObject({ warning: positive.default(0.1), for: promDuration.default('5m') })
      .prefault({}),
    /** Pending events in the queue above which (and growing) a warning fires. */
    queueBacklog: z.strictObject({ warning: positive.default(100), for: promDuration.default('10m') }).prefault({}),
    /** Dead-lettered events at or above which a warning fires. */
    deadLetter: z.strictObject({ warning: positive.default(1), for: promDuration.default('1m') }).prefault({}),
    /** Requests answered 429 per second (5m rate) above which an info alert fires. */
    rateLimitedPerSecond: z
      .strictObject({ info: positive.default(0.01), for: promDuration.default('5m') })
      .prefault({}),
    /**
     * WebhookNoEventsReceived: no event accepted for this long (also when the series is absent, e.g. after a
     * restart). 0 switches it off. Stripe disables an endpoint after days of failed deliveries.
     */
    silenceWindow: z.union([z.literal(0), promDuration]).default('6h'),
    /** WebhookNoEventsAccepted: requests arrive, but none was answered 2xx for this long (a rotated secret…). */
    noEventsAcceptedFor: promDuration.default('10m'),
    /** The host (node exporter): space left on the filesystem holding the engine's storage and Prometheus's data. */
    diskUsedPercent: z
      .strictObject({ critical: percent.default(95), warning: percent.default(85), for: promDuration.default('5m') })
      .prefault({}),
    /** HostDiskFillingUp: the free space, extrapolated from the last 6h, runs out within this long. */
    diskFillsWithin: z
      .strictObject({ warning: promDuration.default('24h'), for: promDuration.default('1h') })
      .prefault({}),
    /** HostMemoryLow: memory available (MemAvailable) at or under this share of the host's memory. */
    hostMemoryAvailablePercent: z
      .strictObject({ warning: percent.default(10), for: promDuration.default('5m') })
      .prefault({}),
    nodeExporterDownFor: promDuration.default('5m'),
    /**
     * WebhookDeliveryLagHigh: the 95th percentile of the delay from an event's creation to its acceptance at or
     * above this many seconds (Stripe is retrying: earlier deliveries failed, or the endpoint was unreachable).
     */
    deliveryLagP95Seconds: z
      .strictObject({ warning: positive.default(300), for: promDuration.default('15m') })
      .prefault({}),
    /** WebhookEndpointUnreachable: the blackbox probe of service.publicUrl has failed for this long. */
    endpointUnreachableFor: promDuration.default('2m'),
    /** WebhookCertificateExpiringSoon: days left on the probed URL's TLS certificate, at or under which it fires. */
    certificateExpiryDays: z
      .strictObject({ warning: positive.default(14), critical: positive.default(3), for: promDuration.default('10m') })
      .prefault({}),
    /**
     * Where you publish the runbooks wmon ships (`wmon runbook`): each rule's runbook_url annotation is
     * `<runbookBaseUrl>/<alert>.md`. Absent (the default): no runbook_url at all, never a placeholder link.
     */
    runbookBaseUrl: z.url({ message: 'must be an absolute URL such as https://wiki.example.com/runbooks' }).optional(),
    /** Your own Prometheus rule files (relative to wmon.yaml), copied into the stack beside wmon's rules. */
    extraRuleFiles: z.array(z.string().min(1, 'must be a file path')).max(20, 'at most 20 rule files').default([]),
  })
  .superRefine((a, ctx) => {
    if (a.errorRatePercent.critical <= a.errorRatePercent.warning) {
      ctx.addIssue({
        code: 'custom',
        path: ['errorRatePercent', 'critical'],
        message: `must be greater than errorRatePercent.warning (${a.errorRatePercent.warning})`,
      });
    }
    if (a.diskUsedPercent.critical <= a.diskUsedPercent.warning) {
      ctx.addIssue({
        code: 'custom',
        path: ['diskUsedPercent', 'critical'],
        message: `must be greater than diskUsedPercent.warning (${a.diskUsedPercent.warning})`,
      });
    }
    if (a.certificateExpiryDays.critical >= a.certificateExpiryDays.warning) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificateExpiryDays', 'critical'],
        message: `must be fewer days than certificateExpiryDays.warning (${a.certificateExpiryDays.warning})`,
      });
    }
    if (a.latencyP95Ms.critical <= a.latencyP95Ms.warning) {
      ctx.addIssue({
        code: 'custom',
        path: ['latencyP95Ms', 'critical'],
        message: `must be greater than latencyP95Ms.warning (${a.latencyP95Ms.warning})`,
      });
    }
  });

export type AlertThresholds = z.output<typeof alertsSchema>;

/** The defaults, as a value (what an empty `alerts:` section means). */
export const DEFAULT_ALERTS: AlertThresholds = alertsSchema.parse({});
