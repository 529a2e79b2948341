/**
 * Flags whose values are more than a string, read by oclif (`Flags.custom`): the command gets the value in
 * its type, and a bad value (on the command line or in the flag's environment variable) is a usage error
 * that names the flag and says what it should be, before the command does anything.
 */
import { Flags } from '@oclif/core';

import { parseBytes } from '../core/vocab/bytes.js';
import { parseWindowText } from '../core/vocab/durations.js';
import { WmonError, isWmonError, type ErrorCode } from '../errors.js';

/**
 * A bad flag value. oclif wraps the message of an error a flag's parse throws ("Parsing --flag", "See more
 * help with --help"); `text` keeps the message as written, which already names the flag, and the base
 * command shows that.
 */
export class FlagValueError extends WmonError {
  readonly text: string;

  constructor(message: string, opts: { code: ErrorCode; suggestions?: readonly string[]; cause?: unknown }) {
    super(message, opts);
    this.name = 'FlagValueError';
    this.text = message;
  }
}

/** A flag's value read by `read`; a WmonError it throws (e.g. from core/vocab) becomes a FlagValueError. */
function reading<T>(read: (input: string, flag: string) => T) {
  return async (input: string, _context: unknown, opts: { name: string }): Promise<T> => {
    try {
      return read(input, `--${opts.name}`);
    } catch (error) {
      if (isWmonError(error) && !(error instanceof FlagValueError)) {
        throw new FlagValueError(error.message, { code: error.code, suggestions: error.suggestions, cause: error });
      }
      throw error;
    }
  };
}

const byteSize = Flags.custom<number>({
  helpValue: 'SIZE',
  parse: reading((input, flag) => {
    const bytes = parseBytes(input);
    if (bytes === undefined) {
      throw new FlagValueError(`${flag}: "${input}" is not a size (e.g. 100G, 512M).`, { code: 'BAD_SIZE' });
    }
    return bytes;
  }),
});

/**
 * A size in bytes, as `100G`, `512M`, `1.5T`, `64KiB` or a number of bytes (binary units). The default is
 * written the same way (and shown so in help).
 */
export function sizeFlag(opts: { summary: string; default: string; env?: string }) {
  const bytes = parseBytes(opts.default);
  if (bytes === undefined) throw new Error(`sizeFlag: the default ${JSON.stringify(opts.default)} is not a size`);
  return byteSize({ ...opts, default: bytes, defaultHelp: async () => opts.default });
}

/** A percentage: a number greater than 0 and at most 100, such as 99.9. */
export const percentFlag = Flags.custom<number>({
  helpValue: 'PCT',
  parse: reading((input, flag) => {
    const value = Number(input);
    if (!Number.isFinite(value) || value <= 0 || value > 100) {
      throw new FlagValueError(`${flag} ${JSON.stringify(input)} is not a percentage.`, {
        code: 'USAGE',
        suggestions: ['Give a number greater than 0 and at most 100, such as 99.9.'],
      });
    }
    return value;
  }),
});

/**
 * How far back to look: a Prometheus duration (`5m`, `1h30m`, `24h`) of at most 31 days, as written. The
 * lower bound (two scrape intervals) depends on wmon.yaml, so the command checks it once that is loaded.
 */
export const windowFlag = Flags.custom<string>({
  helpValue: 'DURATION',
  parse: reading((input, flag) => parseWindowText(input, flag).text),
});

/**
 * Words from a fixed list, repeatable and comma-separated (`--skip engine,drift --skip loki`; the
 * environment variable comma-separated too). Each occurrence reads as a list: flatten the value with
 * `.flat()` (oclif gives an environment variable's value as one occurrence, unwrapped, which `.flat()`
 * reads the same). Unknown words are a usage error that names them all.
 */
export function wordsFlag<W extends string>(words: readonly W[], noun: string) {
  return Flags.custom<W[]>({
    multiple: true,
    helpValue: noun.toUpperCase(),
    parse: reading((input, flag) => {
      const given = input
        .split(',')
        .map((w) => w.trim())
        .filter((w) => w !== '');
      const unknown = given.filter((w) => !(words as readonly string[]).includes(w));
      if (unknown.length > 0) {
        throw new FlagValueError(`${flag}: unknown ${noun}(s) ${unknown.join(', ')}.`, {
          code: 'USAGE',
          suggestions: [`The ${noun}s are ${words.join(', ')}.`],
        });
      }
      return given as W[];
    }),
  });
}

/** Seconds to wait for each component to become ready (init, update, reset, restore). At most an hour. */
export const readyTimeoutFlag = () =>
  Flags.integer({
    summary: 'Seconds to wait for each component to become ready.',
    default: 120,
    min: 1,
    max: 3600,
    env: 'WMON_TIMEOUT',
  });

/** Seconds each Prometheus query may take (metrics, report). At most ten minutes. */
export const queryTimeoutFlag = (defaultSeconds: number) =>
  Flags.integer({
    summary: 'Timeout of each Prometheus query, in seconds.',
    default: defaultSeconds,
    min: 1,
    max: 600,
    env: 'WMON_TIMEOUT',
  });

/** Seconds a container gets to stop before it is killed (down, reset). At most ten minutes. */
export const stopTimeoutFlag = () =>
  Flags.integer({
    summary: 'Seconds each container gets to stop before it is killed.',
    default: 10,
    min: 0,
    max: 600,
    env: 'WMON_STOP_TIMEOUT',
  });

/** Where the safety backup goes (reset, restore). */
export const backupDirFlag = () =>
  Flags.string({
    summary: 'Folder whose safety/ subfolder receives the safety backup (default: backups/ beside wmon.yaml).',
    env: 'WMON_BACKUP_DIR',
  });

/**
 * Where `wmon images build` names its images: a repository under `localhost/` (local images are never
 * pulled), e.g. `localhost/wmon` gives `localhost/wmon/prometheus:3.5`. At most 100 characters.
 */
export const localRepositoryFlag = Flags.custom<string>({
  helpValue: 'REPOSITORY',
  parse: reading((input, flag) => {
    const value = input.trim().replace(/\/+$/, '');
    if (!/^localhost(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/.test(value) || value.length > 100) {
      throw new FlagValueError(`${flag} ${JSON.stringify(input)} is not a local image repository.`, {
        code: 'USAGE',
        suggestions: [
          'Give localhost/ and lower-case path components of letters, digits, ".", "_" or "-" (at most 100 characters), such as localhost/wmon.',
        ],
      });
    }
    return value;
  }),
});
