/**
 * The error family. Every error a user can cause or meet is a WmonError: a message that says what was
 * wrong, an exit code from EXIT_CODES, a stable machine-readable code, and next steps. Anything else that
 * escapes is a bug (exit 1).
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

/** The name of an exit code (to re-raise an error with the same code); unknown codes are `internal`. */
export function exitCodeName(code: number): ExitCodeName {
  return (Object.keys(EXIT_CODES) as ExitCodeName[]).find((k) => EXIT_CODES[k].code === code) ?? 'internal';
}

/** Nagios plugin exit codes used by `wmon check`. */
export const CHECK_EXIT_CODES = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

export class WmonError extends Error {
  readonly exit: number;
  readonly code: string;
  readonly suggestions: readonly string[];

  constructor(message: string, opts: { exit: ExitCodeName; code: string; suggestions?: readonly string[] }) {
    super(message);
    this.name = 'WmonError';
    this.exit = EXIT_CODES[opts.exit].code;
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

  constructor(file: string, issues: readonly ConfigIssue[], suggestions: readonly string[] = []) {
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`);
    super(`${file} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
      exit: 'config',
      code: 'CONFIG_INVALID',
      suggestions: suggestions.length > 0 ? suggestions : [`Fix the listed paths in ${file}, then run the command again.`],
    });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export function isWmonError(error: unknown): error is WmonError {
  return error instanceof WmonError;
}
