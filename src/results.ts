/**
 * The --json shapes of every command, in one place. These are a public, stable contract: add fields,
 * never rename or remove them (README, "JSON output").
 */

export type FileStatus = 'created' | 'changed' | 'unchanged';

export interface RenderedFileResult {
  /** Path relative to the output folder, POSIX separators. */
  readonly path: string;
  /** Stack component the file belongs to (prometheus, alertmanager, grafana, loki). */
  readonly component: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly status: FileStatus;
  /** The Kubernetes kind of the object in the file (`--target kubernetes`; `Kustomization` for kustomization.yaml), else null. */
  readonly kind: string | null;
}

/** `wmon render --json` */
export interface RenderResultJson {
  readonly configFile: string;
  /** Whether wmon.yaml existed (false: the defaults were rendered). */
  readonly configExists: boolean;
  readonly outDir: string;
  readonly components: readonly string[];
  readonly files: readonly RenderedFileResult[];
  /** Files a previous render wrote that the configuration no longer produces (removed). */
  readonly removed: readonly string[];
  readonly warnings: readonly string[];
  /** What was rendered: `local` (the files `wmon init` mounts), `kubernetes` (manifests) or `compose`. */
  readonly target: 'local' | 'kubernetes' | 'compose';
}

/** What `init` did (or, with --dry-run, would do) to one image. */
export interface ImageResult {
  readonly ref: string;
  /** present | pulled | built (done); pull | build | missing (dry run: would pull, would build, cannot be had). */
  readonly action: 'present' | 'pulled' | 'built' | 'pull' | 'build' | 'missing';
  /** The wmon.yaml key that names it, e.g. `components.loki.image` or `service.build.builderImage`. */
  readonly key?: string;
}

export interface ComponentUrl {
  readonly component: string;
  readonly title: string;
  readonly url: string;
  /** Extra endpoints, e.g. Jaeger's OTLP receiver. */
  readonly extra: Readonly<Record<string, string>>;
}

export interface Credentials {
  readonly grafana?: {
    readonly user: string;
    /** File holding the admin password (mode 0600). */
    readonly passwordFile: string;
    /** Only with `wmon urls --show-credentials`. */
    readonly password?: string;
  };
  /** wmon.yaml's `auth`: what Prometheus, Alertmanager and the node exporter ask for (basic auth). */
  readonly auth?: {
    readonly user: string;
    /** File holding the password (mode 0600). */
    readonly passwordFile: string;
    /** Only with `wmon urls --show-credentials`. */
    readonly password?: string;
    /** The components that ask for it. */
    readonly components: readonly string[];
  };
  readonly webhook?: {
    /** File holding the Stripe webhook signing secret (mode 0600). */
    readonly secretFile: string;
    /** Only with `wmon urls --show-credentials`. */
    readonly secret?: string;
  };
}

/** `wmon init --json` (and `--dry-run --json`: the plan, nothing done). */
export interface InitResultJson {
  readonly configFile: string;
  /** wmon.yaml did not exist and was created with the defaults. */
  readonly configCreated: boolean;
  readonly stackDir: string;
  readonly dryRun: boolean;
  /** null in a dry run when no engine answers. */
  readonly engine: { readonly name: string; readonly version: string; readonly address: string } | null;
  /** False when a second run found nothing to do. */
  readonly changed: boolean;
  readonly files: ReadonlyArray<{ readonly path: string; readonly component: string; readonly status: FileStatus }>;
  readonly removedFiles: readonly string[];
  readonly images: readonly ImageResult[];
  readonly containers: ReadonlyArray<{
    readonly component: string;
    readonly container: string;
    readonly image: string;
    /** create | recreate | start | reload | restart | keep */
    readonly action: string;
    readonly reason: string;
    /** Its memory limit as wmon.yaml gives it (e.g. `512m`; `0`: none), and its CPU limit. */
    readonly memory?: string;
    readonly cpus?: number;
  }>;
  readonly removedContainers: ReadonlyArray<{
    readonly container: string;
    readonly component: string;
    readonly reason: string;
  }>;
  readonly urls: readonly ComponentUrl[];
  readonly credentials: Credentials;
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

/** `wmon urls --json` */
export interface UrlsResultJson {
  readonly project: string;
  readonly components: readonly ComponentUrl[];
  readonly credentials: Credentials;
}

/** `wmon down --json` */
export interface DownResultJson {
  readonly project: string;
  readonly removedContainers: readonly string[];
  readonly network: { readonly name: string; readonly removed: boolean };
  /** Named volumes are kept (the data survives); listed so you know where it is. */
  readonly keptVolumes: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// wmon check

/** Nagios plugin states, worst first by precedence: CRITICAL > UNKNOWN > WARNING > OK. */
export type CheckStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** One check: one line of `wmon check`'s table. */
export interface CheckResultJson {
  /** Stable identifier, e.g. `containers.webhook`, `targets.webhook/webhook:9464`, `alerts.TargetDown/webhook`. */
  readonly id: string;
  /** Stack component (`prometheus`, `webhook`, `engine`, …) or, for a scrape target, its job. */
  readonly component: string;
  /** What was checked, e.g. `container running`, `ready`, `target up`, `config drift`, `alert firing`. */
  readonly check: string;
  readonly status: CheckStatus;
  /** One line a person can act on. */
  readonly detail: string;
  /** For drift: each difference on its own line (else empty). */
  readonly differences: readonly string[];
  readonly durationMs: number;
}

/** A pending or firing alert, as Prometheus reports it. */
export interface CheckAlertJson {
  readonly name: string;
  /** The rule's `severity` label (`critical`, `warning`, `info`), or `none`. */
  readonly severity: string;
  readonly state: 'pending' | 'firing';
  /** RFC 3339 time the alert became active (pending). */
  readonly activeAt: string | null;
  /** RFC 3339 time a firing alert fired (`activeAt` + its rule's `for`); null while pending. */
  readonly firingSince: string | null;
  readonly summary: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** `wmon check --json` */
export interface CheckReportJson {
  /** The overall state: the worst check by CRITICAL > UNKNOWN > WARNING > OK. */
  readonly status: CheckStatus;
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  readonly exitCode: 0 | 1 | 2 | 3;
  /** The Nagios status line, e.g. `WMON CRITICAL - 1 critical: webhook target down`. */
  readonly summary: string;
  readonly project: string;
  readonly configFile: string;
  /** RFC 3339. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** How many checks ended in each state. */
  readonly counts: Readonly<Record<CheckStatus, number>>;
  readonly checks: readonly CheckResultJson[];
  /** Pending and firing alerts (firing ones are also checks). Empty when Prometheus could not be asked. */
  readonly alerts: readonly CheckAlertJson[];
}

// ---------------------------------------------------------------------------------------------------------
// wmon metrics

/** How a figure compares with wmon.yaml's alert thresholds; `no_data` when Prometheus has no value. */
export type FigureStatus = 'ok' | 'info' | 'warning' | 'critical' | 'no_data';

export type FigureUnit = 'per_second' | 'percent' | 'ms' | 'bytes' | 'count' | 'boolean';

export interface MetricFigureJson {
  readonly label: string;
  /** null when there is no data (e.g. no traffic in the window: no error rate, no latency). */
  readonly value: number | null;
  readonly unit: FigureUnit;
  readonly status: FigureStatus;
  /** The thresholds the value is compared with, in the figure's unit (from wmon.yaml `alerts:`). */
  readonly thresholds: { readonly info?: number; readonly warning?: number; readonly critical?: number };
}

/** Exact counts over the window, from raw samples (no extrapolation). */
export interface MetricCountsJson {
  /** Webhook requests (health probes and scrapes left out), in total and by HTTP status. */
  readonly requests: { readonly total: number; readonly byStatus: Readonly<Record<string, number>> };
  readonly errors: { readonly total: number; readonly byType: Readonly<Record<string, number>> };
  readonly events: {
    /** Events accepted (stored), by Stripe event type. */
    readonly received: number;
    readonly byType: Readonly<Record<string, number>>;
    /** Processing outcomes: success, failure (a failed attempt), duplicate, dead_letter. */
    readonly processed: Readonly<Record<string, number>>;
  };
  readonly signatureFailures: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
  readonly rateLimited: { readonly total: number; readonly byScope: Readonly<Record<string, number>> };
}

/** The keys of `wmon metrics --json`'s `figures`. */
export const METRIC_FIGURE_KEYS = [
  'requestRate',
  'errorRate',
  'latencyP50',
  'latencyP95',
  'latencyP99',
  'concurrency',
  'concurrencyPeak',
  'eventProcessingP95',
  'queuePending',
  'queueProcessing',
  'queueDeadLetter',
  'memoryRss',
  'memoryLimit',
  'memoryPercent',
  'cpuPercent',
  'dbConnectionsActive',
  'dbConnectionsIdle',
  'dbQueryP95',
  'dbUp',
  'cacheHitRatio',
  'cacheUp',
  'signatureFailureRate',
  'rateLimitedRate',
] as const;
export type MetricFigureKey = (typeof METRIC_FIGURE_KEYS)[number];

/** `wmon metrics --json` */
export interface MetricsResultJson {
  readonly project: string;
  readonly prometheusUrl: string;
  /** As given, e.g. `5m`. */
  readonly window: string;
  readonly windowSeconds: number;
  /** RFC 3339 evaluation time (the window ends here). */
  readonly at: string;
  /** The worst figure status (`no_data` figures do not count). */
  readonly status: Exclude<FigureStatus, 'no_data'>;
  readonly figures: Readonly<Record<MetricFigureKey, MetricFigureJson>>;
  readonly counts: MetricCountsJson;
}

// ---------------------------------------------------------------------------------------------------------
// wmon report

/** A chart's points: `[unix seconds, value]`, value null where there was no data. */
export type ChartPoint = readonly [number, number | null];

export type ReportSeverity = 'critical' | 'warning' | 'info';

/** One SLO or threshold: one JUnit test case. */
export interface ReportTestCaseJson {
  /** Stable identifier, e.g. `slo.error-rate.critical`, `alert.WebhookHighLatency`. */
  readonly id: string;
  /** `slo` (the window's figures against thresholds) or `alerts` (an alert rule did not fire). */
  readonly suite: 'slo' | 'alerts';
  readonly name: string;
  /** What a failure weighs, for `--fail-on` (an `info` case never fails: it only notes what happened). */
  readonly severity: ReportSeverity;
  /** `no_data`: nothing to judge (no traffic); a JUnit `skipped`. */
  readonly status: 'passed' | 'failed' | 'no_data';
  readonly message: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly unit: FigureUnit | null;
}

export interface ReportAlertJson {
  readonly name: string;
  readonly severity: string;
  /** Labels that tell instances apart (job, instance, component, scope…), alertname and severity left out. */
  readonly labels: Readonly<Record<string, string>>;
  /** RFC 3339: first and last evaluation at which it was firing within the window. */
  readonly firstFiringAt: string;
  readonly lastFiringAt: string;
  /** Whether it was still firing at the end of the window. */
  readonly firingAtEnd: boolean;
  /** Separate firing periods. */
  readonly episodes: number;
  /** Time spent firing within the window (seconds, to the evaluation interval). */
  readonly firingSeconds: number;
}

/** `wmon report --format json` and `wmon report --json` */
export interface ReportJson {
  readonly project: string;
  readonly environment: string;
  /** RFC 3339. */
  readonly generatedAt: string;
  readonly window: string;
  readonly windowSeconds: number;
  readonly from: string;
  readonly to: string;
  readonly prometheusUrl: string;
  /**
   * What the charts (the `series`) cover: the window, or from the stack's first sample when the data starts
   * inside it (`clamped`). Figures and counts cover the window, which holds no data before that either.
   */
  readonly charts: {
    /** RFC 3339. */
    readonly from: string;
    readonly seconds: number;
    /** Seconds between two chart points. */
    readonly stepSeconds: number;
    readonly clamped: boolean;
  };
  /** `passed`, or the worst severity of a failed test case (info-level alerts never fail). */
  readonly verdict: 'passed' | 'warning' | 'critical';
  readonly failOn: 'critical' | 'warning' | 'never';
  /** The exit code `--fail-on` gives: 0 passed, 1 a warning threshold failed, 2 a critical one. */
  readonly exitCode: 0 | 1 | 2;
  readonly availability: {
    /** Share of scrapes in which the webhook service answered (`up`), percent; null without data. */
    readonly webhookPercent: number | null;
    readonly targets: readonly { readonly job: string; readonly instance: string; readonly percent: number }[];
    readonly series: readonly ChartPoint[];
  };
  readonly requests: {
    readonly total: number;
    readonly ratePerSecond: number | null;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly series: readonly ChartPoint[];
  };
  readonly errors: {
    /** errors / requests over the window, percent (the alerts' formula). */
    readonly ratePercent: number | null;
    readonly total: number;
    readonly byType: Readonly<Record<string, number>>;
    readonly series: readonly ChartPoint[];
  };
  readonly latency: {
    readonly p50Ms: number | null;
    readonly p95Ms: number | null;
    readonly p99Ms: number | null;
    /** p95 over time. */
    readonly series: readonly ChartPoint[];
  };
  readonly events: {
    readonly received: number;
    /** By count, largest first. */
    readonly byType: readonly { readonly type: string; readonly count: number }[];
    readonly processed: Readonly<Record<string, number>>;
  };
  readonly signatureFailures: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
  readonly rateLimited: { readonly total: number; readonly byScope: Readonly<Record<string, number>> };
  /**
   * The reconcile with Stripe over the window (null without service.stripeApiKey): events it recovered, and
   * events found missing by the last run and at most by one run (null when no run was scraped).
   */
  readonly reconcile: {
    readonly recovered: number;
    readonly missingLast: number | null;
    readonly missingMax: number | null;
  } | null;
  /** Alerts that fired in the window (from Prometheus's ALERTS series), critical first. */
  readonly alerts: readonly ReportAlertJson[];
  readonly testCases: readonly ReportTestCaseJson[];
}

// ---------------------------------------------------------------------------------------------------------
// wmon backup, restore, update, reset

/** What a backup holds of one component. */
export interface BackupComponentJson {
  readonly component: string;
  readonly included: boolean;
  /** e.g. `snapshot: 12 files, 3 blocks`, `4 silences`, `switched off`, `not running`. */
  readonly detail: string;
}

/** A secret the stack needs that the archive does not hold (never its value). */
export interface BackupSecretJson {
  /** e.g. `slackWebhookUrl`, or `datasource Loki: basicAuthPassword`. */
  readonly name: string;
  /** env / file: wmon.yaml refers to it; generated: wmon made it in the stack directory; grafana: a data source's secure field. */
  readonly source: 'env' | 'file' | 'generated' | 'grafana';
  /** The variable, the file, or the data source's uid. */
  readonly ref: string | null;
  readonly note: string;
}

/** `wmon backup --json` (and the safety backup inside reset's and restore's results). */
export interface BackupResultJson {
  /** Absolute path of the .tar.gz. */
  readonly file: string;
  /** Size of the .tar.gz, and its sha256. */
  readonly bytes: number;
  readonly sha256: string;
  readonly createdAt: string;
  readonly project: string;
  readonly wmonVersion: string;
  /** Files in the archive besides manifest.json, and their size uncompressed. */
  readonly files: number;
  readonly totalBytes: number;
  readonly components: readonly BackupComponentJson[];
  /** snapshot: from a running Prometheus (admin API); volume: a stopped one's data folder. Null when not backed up. */
  readonly prometheus: {
    readonly mode: 'snapshot' | 'volume';
    readonly files: number;
    readonly bytes: number;
    readonly blocks: number;
    readonly probes: number;
  } | null;
  readonly alertmanager: { readonly silences: number } | null;
  readonly grafana: { readonly folders: number; readonly dashboards: number; readonly datasources: number } | null;
  /**
   * The bundled service's store: sqlite (an online copy, or the stopped service's, with its schema version
   * and events per state), or external (PostgreSQL: not in the archive). Null when switched off or not backed up.
   */
  readonly webhook: WebhookStoreJson | null;
  readonly secretsNeeded: readonly BackupSecretJson[];
  /** Older backups removed by --keep. */
  readonly pruned: readonly string[];
  readonly warnings: readonly string[];
  readonly durationMs: number;
  /** Loki's logs and Jaeger's traces (their components switched on): included with --include, else their size. */
  readonly dataVolumes: readonly BackupDataVolumeJson[];
}

/** A volume of logs (Loki) or traces (Jaeger) in a backup: copied whole, or left out with its size. */
export interface BackupDataVolumeJson {
  readonly kind: 'logs' | 'traces';
  readonly component: 'loki' | 'jaeger';
  readonly volume: string;
  readonly included: boolean;
  /** What it holds (null: not measured, or no volume yet). */
  readonly files: number | null;
  readonly bytes: number | null;
  /** The component was running, stopped for the copy and started again (and awaited). */
  readonly stopped: boolean;
  readonly pausedMs: number | null;
}

export type WebhookStoreJson =
  | {
      readonly store: 'sqlite';
      readonly mode: 'online' | 'stopped';
      readonly bytes: number;
      readonly schemaVersion: number;
      readonly tables: Readonly<Record<string, number>>;
      readonly events: EventCountsJson;
    }
  | { readonly store: 'external'; readonly included: false; readonly note: string };

/** The service's events by state. */
export interface EventCountsJson {
  readonly pending: number;
  readonly processed: number;
  readonly deadLetter: number;
}

/** What an archive is, as its verification found it (`wmon backup --verify`, `wmon restore`). */
export interface ArchiveSummaryJson {
  readonly sha256: string;
  readonly bytes: number;
  readonly files: number;
  readonly totalBytes: number;
  readonly formatVersion: number;
  readonly wmonVersion: string;
  readonly createdAt: string;
  readonly project: string;
}

/** `wmon backup --verify FILE --json`: the archive verified as a restore would, nothing restored. */
export interface VerifyBackupJson extends ArchiveSummaryJson {
  readonly ok: true;
  readonly file: string;
  readonly detail: string;
  /** The service's database: checked by SQLite (ok), not checked (no engine or image here), or not included. */
  readonly webhook:
    | {
        readonly store: 'sqlite';
        readonly integrity: 'ok' | 'not checked';
        readonly schemaVersion: number;
        readonly events: EventCountsJson;
      }
    | { readonly store: 'external'; readonly integrity: 'not included' }
    | null;
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

/** One step of a restore: planned (dry run) or done. */
export interface RestoreStepJson {
  /** verify | safety-backup | stop | config | prometheus-data | webhook-data | start | silences | grafana | check | logs-data | traces-data */
  readonly step: string;
  readonly detail: string;
}

/** One check that the restored data answers. */
export interface RestoreCheckJson {
  /** e.g. `prometheus ready`, `prometheus series`, `silences`, `grafana dashboards`, `rendered files`. */
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** `wmon restore <file> --json` (with --dry-run: `plan` only, nothing changed). */
export interface RestoreResultJson {
  readonly file: string;
  readonly dryRun: boolean;
  /** What the archive is, once verified (nothing is changed before this). */
  readonly archive: ArchiveSummaryJson & { readonly components: readonly string[] };
  /** The steps, in order: what would be done (dry run) or what was done. */
  readonly plan: readonly RestoreStepJson[];
  /** The safety backup taken before anything changed (null in a dry run or with --no-safety-backup). */
  readonly safetyBackup: string | null;
  readonly restored: {
    readonly config: { readonly wmonYaml: 'restored' | 'unchanged'; readonly files: readonly string[] };
    readonly prometheus: { readonly files: number; readonly bytes: number; readonly blocks: number } | null;
    readonly silences: { readonly restored: number; readonly present: number; readonly expired: number } | null;
    readonly grafana: {
      readonly folders: number;
      readonly dashboards: number;
      readonly datasources: number;
      readonly secretsToSet: ReadonlyArray<{ readonly datasource: string; readonly fields: readonly string[] }>;
    } | null;
    /** The service's SQLite store, put back, and its events per state once the service answered. */
    readonly webhook: {
      readonly bytes: number;
      readonly events: EventCountsJson;
    } | null;
    /** Loki's and Jaeger's volumes put back (`wmon backup --include logs,traces`); empty when the archive has none. */
    readonly dataVolumes: ReadonlyArray<{
      readonly kind: 'logs' | 'traces';
      readonly volume: string;
      readonly files: number;
      readonly bytes: number;
    }>;
  } | null;
  readonly checks: readonly RestoreCheckJson[];
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

/** A rendered file `wmon update` changed, with a unified diff. */
export interface UpdateFileChangeJson {
  readonly path: string;
  readonly status: 'created' | 'changed' | 'removed';
  /** Unified diff (old → new). */
  readonly diff: string;
}

/** `wmon update --json`: init's shape, plus the diff and what Grafana shows. */
export interface UpdateResultJson extends InitResultJson {
  readonly changes: readonly UpdateFileChangeJson[];
  /** The rendered dashboards as Grafana has them after the update (empty when Grafana is off or in a dry run). */
  readonly dashboards: ReadonlyArray<{
    readonly uid: string;
    readonly title: string;
    readonly status: 'current' | 'missing' | 'stale';
  }>;
}

/** `wmon reset --json` */
/** What `wmon reset` will delete and keep, said before it asks or acts. */
export interface ResetPlanJson {
  readonly containers: readonly string[];
  readonly volumes: ReadonlyArray<{
    readonly name: string;
    readonly component: string;
    /** Its size on the engine's host; null when it could not be read. */
    readonly bytes: number | null;
    readonly action: 'delete' | 'keep';
    /** The webhook service's data volume: its events by state (null when they could not be read). */
    readonly events?: EventCountsJson | null;
  }>;
  /** True when the webhook service's events are deleted (--delete-events). */
  readonly deletesEvents: boolean;
  readonly events: EventCountsJson | null;
  readonly safetyBackup: boolean;
}

export interface ResetResultJson {
  readonly project: string;
  /** What was said before the reset: every volume with its size, deleted or kept, and the service's events. */
  readonly plan?: ResetPlanJson;
  /** The safety backup, unless --no-backup. */
  readonly safetyBackup: BackupResultJson | null;
  readonly removed: {
    readonly containers: readonly string[];
    readonly volumes: readonly string[];
    readonly networks: readonly string[];
  };
  /** Volumes kept: the webhook service's events, unless --delete-events. */
  readonly kept: { readonly volumes: readonly string[] };
  /** The stack brought up again, as `wmon init --json` reports it. */
  readonly init: InitResultJson;
}

/** One thing `wmon engine install` sets up, and whether it was there already. */
export interface EngineInstallItem {
  readonly what: string;
  /** present: there already, left alone; install: to be done (in the plan); installed: done by this run. */
  readonly status: 'present' | 'install' | 'installed';
}

/** `wmon engine install --json` */
export interface EngineInstallResultJson {
  /** The distribution, e.g. `Debian GNU/Linux 12 (bookworm)`. */
  readonly platform: string;
  /** Whether this run changed anything (false: everything was there). */
  readonly changed: boolean;
  readonly items: readonly EngineInstallItem[];
  /** The engine's address as a DOCKER_HOST value (wmon finds it there without it). */
  readonly dockerHost: string;
  readonly engine: { readonly name: string; readonly version: string; readonly apiVersion: string };
}

/** One image `wmon images build` made (or found up to date). */
export interface LocalImageResult {
  /** The wmon.yaml setting it is for: a component (prometheus, alertmanager, nodeExporter) or webhook's base images. */
  readonly component: string;
  /** The image's name in scripts/engine/build-images.sh: prometheus, alertmanager, node-exporter, node-slim, node-full. */
  readonly name: string;
  readonly ref: string;
  /** built: by this run; present: an image of this name with the same inputs was there. */
  readonly status: 'built' | 'present';
  /** The image's engine id. */
  readonly id: string;
  /** What its program reports as its version (the Prometheus family), when it says. */
  readonly runs?: string;
}

/** `wmon images build --json` */
export interface ImagesBuildResultJson {
  readonly configFile: string;
  /** Whether wmon.yaml was written (false with --print). */
  readonly written: boolean;
  /** Whether wmon.yaml did not exist and was created from the defaults, then edited. */
  readonly configCreated: boolean;
  readonly repository: string;
  readonly images: readonly LocalImageResult[];
  /** Components with no such local source (Grafana, Loki, Jaeger): switched off in wmon.yaml. */
  readonly disabled: readonly string[];
  /** Every value set in wmon.yaml (or to set, with --print), by its path. */
  readonly settings: readonly { readonly path: string; readonly value: string | boolean }[];
  /** The same settings as YAML lines to merge into wmon.yaml. */
  readonly yaml: string;
}

/** One runbook in `wmon runbook --json`. */
export interface RunbookEntryJson {
  readonly alert: string;
  /** critical, warning or info; none for Watchdog. */
  readonly severity: string;
  /** The first sentence of its "What it means". */
  readonly summary: string;
  /** Absolute path of the markdown file in the installed package. */
  readonly file: string;
}

/** `wmon runbook [ALERT] --json` */
export interface RunbookResultJson {
  /** Every runbook without ALERT; just ALERT's with it. */
  readonly runbooks: readonly RunbookEntryJson[];
  /** ALERT's runbook (markdown); null when listing. */
  readonly markdown: string | null;
}

/** One event Stripe has that the service never stored, in `wmon reconcile --json`. */
export interface ReconcileMissingJson {
  readonly id: string;
  readonly type: string;
  /** Stripe's `created`, as an ISO time. */
  readonly created: string;
  /** True when this run stored and queued it (--replay). */
  readonly recovered: boolean;
}

/** `wmon reconcile --json` */
export interface ReconcileResultJson {
  readonly project: string;
  /** The window compared: events created at or after this ISO time. */
  readonly since: string;
  readonly replay: boolean;
  /** Events Stripe listed in the window, over this many pages. */
  readonly listed: number;
  readonly pages: number;
  /** Events the service had not stored, and how many of them this run recovered. */
  readonly missingCount: number;
  readonly recovered: number;
  /** The missing events (at most 1000; `truncated` when there were more). */
  readonly missing: readonly ReconcileMissingJson[];
  readonly truncated: boolean;
  /** Set when the run stopped short (e.g. after 100 pages): what was not compared. */
  readonly warning?: string;
}
