/**
 * The backup archive format, version 3 (version 1 had no webhook/, version 2 no loki/ and jaeger/: an archive
 * without them is still written as version 2, so that an older wmon reads it): one gzip-compressed tar (`backup_YYYYMMDD_HHMMSS.tar.gz`, UTC) holding
 * only regular files, every path relative and inside one of the folders below:
 *
 *   wmon.yaml                          the configuration, as it was
 *   config/<path>                      every rendered file (prometheus/prometheus.yml, …), as on disk
 *   prometheus/data/<path>             Prometheus's data folder: a TSDB snapshot (blocks), or the stopped
 *                                      server's whole data volume (blocks, wal, chunks_head)
 *   alertmanager/silences.json         active and pending silences
 *   grafana/folders.json               folders
 *   grafana/datasources.json           data sources, without secrets (Grafana never returns them)
 *   grafana/dashboards/<uid>.json      each dashboard with its folder
 *   webhook/webhooks.db                the bundled service's SQLite store (events, their state, dead letters,
 *                                      the handlers' records): an online backup, one self-contained file
 *   loki/data/<path>                   with --include logs: Loki's volume, copied whole while Loki was stopped
 *   jaeger/data/<path>                 with --include traces: Jaeger's volume (Badger), the same way
 *   manifest.json                      last: format, versions, components, images, and the size and sha256
 *                                      of every other file
 *
 * The manifest comes last so that the archive is written in one pass, straight from the engine's stream; a
 * restore therefore reads the archive twice: once to verify everything (nothing is written), once to use it.
 */

export const FORMAT_NAME = 'wmon-backup';
/** The newest version this wmon reads, and writes when an archive holds logs or traces. */
export const FORMAT_VERSION = 3;
/** The version of an archive without logs and traces (older wmon versions read it). */
export const BASE_FORMAT_VERSION = 2;

export const MANIFEST_ENTRY = 'manifest.json';
export const CONFIG_ENTRY = 'wmon.yaml';
export const CONFIG_DIR = 'config/';
export const PROMETHEUS_DATA_DIR = 'prometheus/data/';
export const SILENCES_ENTRY = 'alertmanager/silences.json';
export const GRAFANA_FOLDERS_ENTRY = 'grafana/folders.json';
export const GRAFANA_DATASOURCES_ENTRY = 'grafana/datasources.json';
export const GRAFANA_DASHBOARDS_DIR = 'grafana/dashboards/';
export const SERVICE_DB_ENTRY = 'webhook/webhooks.db';
/** Loki's and Jaeger's volumes (`wmon backup --include logs,traces`). */
export const DATA_VOLUME_DIRS = { logs: 'loki/data/', traces: 'jaeger/data/' } as const;

/** Top-level places an entry may be. Anything else in an archive is refused. */
export const ALLOWED_ROOTS = [
  CONFIG_DIR,
  PROMETHEUS_DATA_DIR,
  'alertmanager/',
  'grafana/',
  'webhook/',
  DATA_VOLUME_DIRS.logs,
  DATA_VOLUME_DIRS.traces,
] as const;
export const ALLOWED_FILES = [MANIFEST_ENTRY, CONFIG_ENTRY] as const;

/** Limits a restore enforces while reading an archive it does not trust yet. */
export interface ArchiveLimits {
  /** Sum of all file sizes (uncompressed). */
  readonly maxTotalBytes: number;
  /** manifest.json. */
  readonly maxManifestBytes: number;
  /** wmon.yaml, rendered files, silences, Grafana files: each is read into memory. */
  readonly maxSmallFileBytes: number;
  /** All of those together. */
  readonly maxSmallTotalBytes: number;
  readonly maxEntries: number;
  readonly maxPathLength: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxTotalBytes: 100 * GiB,
  maxManifestBytes: 16 * MiB,
  maxSmallFileBytes: 32 * MiB,
  maxSmallTotalBytes: 256 * MiB,
  maxEntries: 1_000_000,
  maxPathLength: 1024,
};

const NAME_PATTERN = /^backup_(\d{8})_(\d{6})\.tar\.gz$/;

/** `backup_20250524_101500.tar.gz` for 2025-05-24 10:15:00 UTC. */
export function backupFileName(at: Date, prefix = 'backup'): string {
  const iso = at.toISOString(); // 2025-05-24T10:15:00.000Z
  return `${prefix}_${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 19).replaceAll(':', '')}.tar.gz`;
}

/** True for names `wmon backup` writes (what --keep may prune; nothing else is ever removed). */
export function isBackupFileName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** Is this a path of something wmon writes into an archive's folders? (Checked on top of isSafeEntryPath.) */
export function isAllowedEntry(p: string): boolean {
  return (
    (ALLOWED_FILES as readonly string[]).includes(p) ||
    ALLOWED_ROOTS.some((root) => p.startsWith(root) && p.length > root.length)
  );
}

/** A folder entry is fine on the way to, or inside, one of the allowed folders. */
export function isAllowedDirectory(p: string): boolean {
  const dir = p.endsWith('/') ? p : `${p}/`;
  return ALLOWED_ROOTS.some((root) => root.startsWith(dir) || dir.startsWith(root));
}

/** Files read into memory during verification (everything but the data of Prometheus, the service, Loki, Jaeger). */
export function isSmallEntry(p: string): boolean {
  return (
    !p.startsWith(PROMETHEUS_DATA_DIR) &&
    !p.startsWith('webhook/') &&
    !Object.values(DATA_VOLUME_DIRS).some((dir) => p.startsWith(dir))
  );
}

/** Grafana dashboard uids become file names: only what Grafana itself allows, else a numbered name. */
export function dashboardEntry(uid: string, index: number): string {
  return `${GRAFANA_DASHBOARDS_DIR}${/^[A-Za-z0-9_-]{1,128}$/.test(uid) ? uid : `dashboard-${index}`}.json`;
}
