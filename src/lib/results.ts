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
}
