/**
 * The error family. Every error a user can cause or meet is a WmonError: a message that says what was
 * wrong, a stable machine-readable code from ERRORS (which gives its exit code from EXIT_CODES), and next
 * steps. Anything else that escapes is a bug (exit 1, code INTERNAL).
 */

/** Exit codes are data: one table, shown in help and in the README. */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'success' },
  internal: { code: 1, meaning: 'unexpected internal error (a bug: please report it)' },
  usage: { code: 2, meaning: 'bad command-line usage (unknown flag, missing argument)' },
  data: { code: 65, meaning: 'bad input data (e.g. a corrupt or tampered archive)' },
  unavailable: { code: 69, meaning: 'a required service is unavailable (container engine, a stack component)' },
  cantCreate: { code: 73, meaning: 'an output file or directory could not be written' },
  conflict: { code: 75, meaning: 'a conflict or temporary failure (host port taken, readiness deadline passed)' },
  config: { code: 78, meaning: 'wmon.yaml or a secret it refers to is invalid or missing' },
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;

/** Nagios plugin exit codes used by `wmon check`. */
export const CHECK_EXIT_CODES = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

interface ErrorSpec {
  /** Its exit code, by name in EXIT_CODES. */
  readonly exit: ExitCodeName;
  /** `cause`: the error wraps another failure and exits with that failure's code; `exit` is the code without one. */
  readonly exitFrom?: 'cause';
  /** What it means, for the README and for scripts reading `--json`. */
  readonly meaning: string;
}

/**
 * Every machine-readable error code, with its exit code and meaning: a documented, stable contract (the
 * `code` of `--json` errors, `Code:` in the text). Codes are added, never renamed or removed. The README
 * lists this table (test/readme.test.ts keeps them equal).
 */
export const ERRORS = {
  // Anything
  INTERNAL: {
    exit: 'internal',
    meaning: 'an unexpected error: a bug in wmon (run again with DEBUG=wmon and report it)',
  },
  USAGE: {
    exit: 'usage',
    meaning: 'bad command-line usage: an unknown flag, a missing argument, a flag value out of range',
  },
  BAD_SIZE: { exit: 'usage', meaning: 'a size flag (`restore --max-size`) is not a size such as 100G or 512M' },
  WINDOW_INVALID: { exit: 'usage', meaning: '`--window` is not a Prometheus duration such as 5m, 1h or 24h' },
  WINDOW_TOO_SHORT: {
    exit: 'usage',
    meaning: '`--window` is shorter than two scrape intervals (a rate needs two samples)',
  },
  WINDOW_TOO_LONG: { exit: 'usage', meaning: '`--window` is longer than 31 days' },
  RUNBOOK_UNKNOWN: {
    exit: 'usage',
    meaning: '`wmon runbook ALERT`: no alert of that name has a runbook; the message lists the names',
  },
  CONFIRMATION_REQUIRED: {
    exit: 'usage',
    meaning:
      '`wmon reset` or `wmon engine install` must ask first, and there is no terminal to ask on (use --force, --yes)',
  },
  NOT_CONFIRMED: {
    exit: 'usage',
    meaning: '`wmon reset` or `wmon engine install` was not confirmed: nothing was changed',
  },
  // wmon.yaml and secrets
  CONFIG_MISSING: { exit: 'config', meaning: 'wmon.yaml (or --config) does not exist' },
  CONFIG_UNREADABLE: { exit: 'config', meaning: 'wmon.yaml cannot be read' },
  CONFIG_INVALID: { exit: 'config', meaning: 'wmon.yaml is invalid; the message lists every problem by path' },
  CONFIG_TOO_LARGE: {
    exit: 'config',
    meaning:
      'wmon.yaml is beyond a limit: over 1 MiB, more than 10 000 keys and values, nested over 32 deep, a value over 64 KiB, or aliases that expand too much',
  },
  SECRET_MISSING: {
    exit: 'config',
    meaning: 'a secret wmon.yaml refers to (an environment variable or a file) is not there',
  },
  IMAGE_REF_INVALID: { exit: 'config', meaning: 'an image reference in wmon.yaml is not a valid reference' },
  VERSION_UNSUPPORTED: {
    exit: 'config',
    meaning:
      'a component (its image in wmon.yaml, or what it reports) is older than wmon supports; the message names the minimum',
  },
  PROMETHEUS_DISABLED: {
    exit: 'config',
    meaning: 'the command reads from Prometheus, which is switched off in wmon.yaml',
  },
  COMPONENT_DISABLED: { exit: 'config', meaning: 'the command needs a component that is switched off in wmon.yaml' },
  GRAFANA_PASSWORD_MISSING: {
    exit: 'config',
    meaning: "wmon cannot act as Grafana's admin: no admin password (`wmon init` writes it), or it cannot be read",
  },
  // Container engine
  ENGINE_NOT_FOUND: {
    exit: 'unavailable',
    meaning: 'no container engine answered (the message names each tried), or the engine has no such object',
  },
  ENGINE_UNREACHABLE: {
    exit: 'unavailable',
    meaning: 'the container engine stopped answering (connection refused or reset)',
  },
  ENGINE_UNAVAILABLE: { exit: 'unavailable', meaning: 'the command needs a container engine and has none' },
  ENGINE_CONFLICT: { exit: 'conflict', meaning: 'the container engine refused a request as a conflict (HTTP 409)' },
  ENGINE_REQUEST_FAILED: {
    exit: 'unavailable',
    meaning: 'the container engine refused or failed a request; the message has its answer',
  },
  IMAGE_MISSING: { exit: 'unavailable', meaning: 'an image is not present, and it cannot or may not be pulled' },
  IMAGE_PULL_FAILED: {
    exit: 'unavailable',
    meaning: 'pulling an image failed (registry unreachable, login needed, no such image)',
  },
  IMAGE_BUILD_FAILED: { exit: 'unavailable', meaning: 'building the webhook service image failed' },
  // This machine (`wmon engine install`, `wmon images build`)
  PLATFORM_UNSUPPORTED: {
    exit: 'unavailable',
    meaning:
      "`wmon engine install` and `wmon images build` use apt-get and Debian's packages: they run only on Debian or Ubuntu, as root",
  },
  ENGINE_INSTALL_FAILED: {
    exit: 'unavailable',
    meaning: '`wmon engine install` could not install Podman or start its API service (the message has its last lines)',
  },
  LOCAL_IMAGE_BUILD_FAILED: {
    exit: 'unavailable',
    meaning:
      "`wmon images build` could not build an image from the distribution's packages (the message has its last lines)",
  },
  CONFIG_WRITE_FAILED: {
    exit: 'cantCreate',
    meaning: '`wmon images build` cannot write the image references into wmon.yaml',
  },
  SERVICE_SOURCES_MISSING: {
    exit: 'unavailable',
    meaning: "the webhook service's sources are missing from the installed package",
  },
  CONTAINER_NAME_TAKEN: { exit: 'conflict', meaning: "a container with the name of one of the stack's already exists" },
  EXEC_TIMEOUT: { exit: 'unavailable', meaning: 'a command run inside a container did not finish in time' },
  EXEC_NO_EXIT_CODE: {
    exit: 'unavailable',
    meaning: 'a command run inside a container ended, but the engine reports no exit code',
  },
  BIND_NOT_ABSOLUTE: { exit: 'internal', meaning: 'a bind mount source is not an absolute path (a bug in wmon)' },
  PORT_TAKEN: {
    exit: 'conflict',
    meaning: 'a host port of the stack is taken by another program (the message names it when it can)',
  },
  NOT_READY: { exit: 'conflict', meaning: 'a component did not become ready before its deadline (--timeout)' },
  // Stack components over HTTP
  COMPONENT_CONNECTION_REFUSED: {
    exit: 'unavailable',
    meaning: "nothing listens on a component's port (it is down or not started yet)",
  },
  COMPONENT_TIMEOUT: { exit: 'unavailable', meaning: 'a component did not answer in time' },
  COMPONENT_NETWORK_ERROR: {
    exit: 'unavailable',
    meaning: 'a request to a component failed in transport (reset, unknown host)',
  },
  COMPONENT_AUTH_FAILED: { exit: 'unavailable', meaning: 'a component refused the credentials (HTTP 401 or 403)' },
  COMPONENT_HTTP_ERROR: { exit: 'unavailable', meaning: 'a component answered with an unexpected HTTP status' },
  COMPONENT_BAD_RESPONSE: { exit: 'unavailable', meaning: 'a component answered, but not in its documented shape' },
  PROMETHEUS_UNREACHABLE: {
    exit: 'unavailable',
    meaning: 'Prometheus, which the command reads every figure from, cannot be reached',
  },
  PROMETHEUS_QUERY_FAILED: { exit: 'unavailable', meaning: 'Prometheus answered a query of the command with an error' },
  // Files wmon writes
  RENDER_WRITE_FAILED: {
    exit: 'cantCreate',
    meaning: 'the rendered configuration cannot be written to the stack directory',
  },
  SECRETS_WRITE_FAILED: { exit: 'cantCreate', meaning: "the stack's generated secrets cannot be written" },
  REPORT_WRITE_FAILED: { exit: 'cantCreate', meaning: '`wmon report --output` cannot be written' },
  STEP_SUMMARY_WRITE_FAILED: { exit: 'cantCreate', meaning: 'the report cannot be appended to $GITHUB_STEP_SUMMARY' },
  // Backups
  BACKUP_COMPONENT_UNAVAILABLE: {
    exit: 'unavailable',
    meaning: 'a running component whose data goes into the backup does not answer',
  },
  BACKUP_DIR_FAILED: { exit: 'cantCreate', meaning: 'the backup folder cannot be created' },
  BACKUP_WRITE_FAILED: { exit: 'cantCreate', meaning: 'the backup archive cannot be written' },
  PROMETHEUS_DATA_FAILED: {
    exit: 'unavailable',
    meaning: "Prometheus's data cannot be snapshotted, copied out of or into its volume",
  },
  // Archives (a backup given to verify or restore): refused before anything changed
  ARCHIVE_NOT_FOUND: { exit: 'data', meaning: 'the archive does not exist or cannot be read' },
  ARCHIVE_CORRUPT: {
    exit: 'data',
    meaning: 'the archive is not a readable .tar.gz (truncated, damaged, data after its end-of-archive marker)',
  },
  ARCHIVE_UNSAFE_ENTRY: {
    exit: 'data',
    meaning:
      'an entry escapes its folder, is a link or a device file, repeats another, or is one tar readers read differently (pax global header, sparse file, GNU long name)',
  },
  ARCHIVE_TOO_LARGE: {
    exit: 'data',
    meaning: 'the archive or one of its files is bigger than the limits (e.g. --max-size)',
  },
  ARCHIVE_MANIFEST_INVALID: {
    exit: 'data',
    meaning: 'manifest.json is missing or invalid, or its format version is newer than this wmon reads',
  },
  ARCHIVE_CHECKSUM_MISMATCH: {
    exit: 'data',
    meaning: "a file's size or sha256 is not the manifest's, or a file is missing or unlisted",
  },
  ARCHIVE_CONTENT_INVALID: {
    exit: 'data',
    meaning: 'a file is missing or invalid (wmon.yaml, silences, dashboards), or it is of another project',
  },
  ARCHIVE_CHANGED: { exit: 'data', meaning: 'the archive changed between its verification and its use' },
  ARCHIVE_SERVICE_DB_INVALID: {
    exit: 'data',
    meaning:
      "the webhook service's database in the archive is not SQLite, fails its integrity check, disagrees with the manifest, or has a newer schema than the service reads",
  },
  // Restore and reset
  VOLUME_FULL: { exit: 'cantCreate', meaning: "Prometheus's volume has not enough free space for the restored data" },
  RESTORE_PREPARE_FAILED: {
    exit: 'unavailable',
    meaning: 'preparing the restore failed (nothing was restored; the cause is in the message)',
  },
  RESTORE_FAILED: {
    exit: 'unavailable',
    meaning: 'the restore failed and, with --no-safety-backup, could not be rolled back',
  },
  RESTORE_CHECK_FAILED: { exit: 'unavailable', meaning: 'the restored stack does not answer with the backed-up data' },
  RESTORE_ROLLED_BACK: {
    exit: 'conflict',
    exitFrom: 'cause',
    meaning: 'the restore failed and the stack was put back from the safety backup (the message says what failed)',
  },
  RESTORE_ROLLBACK_FAILED: {
    exit: 'unavailable',
    meaning: 'the restore failed, and putting the safety backup back failed too (the message names it)',
  },
  RESET_BACKUP_FAILED: {
    exit: 'unavailable',
    exitFrom: 'cause',
    meaning: '`wmon reset`: the safety backup failed, so nothing was removed',
  },
  // Reconcile with Stripe
  RECONCILE_NOT_CONFIGURED: {
    exit: 'config',
    meaning:
      '`wmon reconcile`: no Stripe API key (`service.stripeApiKey` in wmon.yaml), or the service runs without it',
  },
  RECONCILE_FAILED: {
    exit: 'unavailable',
    meaning:
      "`wmon reconcile`: Stripe's API failed the run (a refused key, unreachable, rate limited); the message says why",
  },
  RECONCILE_BUSY: {
    exit: 'conflict',
    meaning: '`wmon reconcile`: the service is already running a reconcile and has one waiting',
  },
  SERVICE_DATA_FAILED: {
    exit: 'unavailable',
    meaning:
      "the webhook service's SQLite store cannot be copied out of or into its volume, or the copy fails SQLite's integrity check",
  },
  // wmon render --target
  RENDER_TARGET_UNSUPPORTED: {
    exit: 'config',
    meaning:
      '`wmon render --target kubernetes`: wmon.yaml asks for something the target cannot express (the message names it)',
  },
  RENDER_OUT_REQUIRED: {
    exit: 'usage',
    meaning:
      '`wmon render --target kubernetes` and `--target compose` need --out: a folder other than the stack directory',
  },
  EXTENSION_INVALID: {
    exit: 'config',
    meaning:
      'a file wmon.yaml extends the stack with (`alerts.extraRuleFiles`, `grafana.extraDashboards`, a `configFragment`) is missing, too large or invalid, or a dashboard reuses a uid; the message names the file',
  },
  VOLUME_DATA_FAILED: {
    exit: 'unavailable',
    meaning: "Loki's or Jaeger's volume (`--include logs,traces`) cannot be copied out of or into its volume",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface WmonErrorOptions {
  readonly code: ErrorCode;
  /**
   * The failure this error wraps, if any (kept as the standard `Error.cause`). A code with `exitFrom:
   * 'cause'` in ERRORS exits with the cause's exit code when the cause is a WmonError; every other code
   * exits with its own, from the table.
   */
  readonly cause?: unknown;
  readonly suggestions?: readonly string[];
}

export class WmonError extends Error {
  readonly exit: number;
  readonly code: ErrorCode;
  readonly suggestions: readonly string[];

  constructor(message: string, opts: WmonErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WmonError';
    const spec: ErrorSpec = ERRORS[opts.code];
    this.exit =
      spec.exitFrom === 'cause' && opts.cause instanceof WmonError ? opts.cause.exit : EXIT_CODES[spec.exit].code;
    this.code = opts.code;
    this.suggestions = opts.suggestions ?? [];
  }
}

/** One problem in wmon.yaml, by its path (e.g. `ports.grafana`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends WmonError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(
    file: string,
    issues: readonly ConfigIssue[],
    suggestions: readonly string[] = [],
    code: 'CONFIG_INVALID' | 'CONFIG_TOO_LARGE' = 'CONFIG_INVALID',
  ) {
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`);
    super(`${file} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
      code,
      suggestions:
        suggestions.length > 0 ? suggestions : [`Fix the listed paths in ${file}, then run the command again.`],
    });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export function isWmonError(error: unknown): error is WmonError {
  return error instanceof WmonError;
}
