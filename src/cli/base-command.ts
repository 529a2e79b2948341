import { Command, Errors, Flags, type Interfaces } from '@oclif/core';

import { DEFAULT_CONFIG_FILE } from '../core/config/load.js';
import { EXIT_CODES, isWmonError, type ErrorCode } from '../errors.js';
import { openStackContext, type OpenOptions, type StackContext } from '../context.js';
import type { Reporter } from '../ops/steps.js';
import { configureColor } from './colors.js';
import { FlagValueError } from './flags.js';
import { createReporter, reporterKind } from './reporters.js';

/** The shape every command prints with --json when it fails (documented in the README). */
export interface JsonError {
  readonly error: Failure;
}

/** A failure as wmon reports it: what went wrong, its code in ERRORS, the exit code, next steps. */
export interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly exit: number;
  readonly suggestions: readonly string[];
}

const BUG = 'This is a bug in wmon. Run again with DEBUG=wmon for details and report it.';

/** The exit code of an error of oclif's own (a bad flag or argument), not one of wmon's; else undefined. */
function oclifExit(err: Interfaces.CommandError): number | undefined {
  const oclif = (err as { oclif?: { exit?: number } }).oclif;
  return oclif === undefined || isWmonError(err) ? undefined : (oclif.exit ?? EXIT_CODES.usage.code);
}

/** How a failure reads: a WmonError as it says, oclif's errors as bad usage, anything else as a bug. */
function failureOf(err: Interfaces.CommandError): Failure {
  if (isWmonError(err)) {
    const message = err instanceof FlagValueError ? err.text : err.message;
    return { code: err.code, message, exit: err.exit, suggestions: err.suggestions };
  }
  const usage = oclifExit(err);
  if (usage !== undefined) return { code: 'USAGE', message: err.message, exit: usage, suggestions: [] };
  const message = `Unexpected error: ${err.message}`;
  return { code: 'INTERNAL', message, exit: EXIT_CODES.internal.code, suggestions: [BUG] };
}

/**
 * What every wmon command shares: --json (oclif's), --config (also WMON_CONFIG), colour only on a TTY and
 * never with NO_COLOR, and errors surfaced as a clear message with next steps and a documented exit code,
 * never a stack trace (set DEBUG=wmon to see one for unexpected errors).
 */
export abstract class WmonCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    config: Flags.string({
      char: 'c',
      summary: 'Path to wmon.yaml.',
      default: DEFAULT_CONFIG_FILE,
      env: 'WMON_CONFIG',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({
      summary: 'Show every line of progress (image builds and pulls included) as it comes.',
      default: false,
      env: 'WMON_VERBOSE',
      helpGroup: 'GLOBAL',
    }),
  };

  /**
   * The exit code of every failure of this command, when its callers read exit codes by a convention of
   * their own (`wmon check`: 3, Nagios UNKNOWN); otherwise each failure exits with its own code.
   */
  static failureExitCode: number | undefined;

  /** The stack of --config, opened once for this run. */
  protected openStack(configFile: string, opts: OpenOptions = {}): Promise<StackContext> {
    return openStackContext(configFile, opts);
  }

  /** How this run shows progress: nothing for --json, listr2 on a usable terminal, plain lines elsewhere. */
  protected reporter(opts: { verbose?: boolean } = {}): Reporter {
    return createReporter(reporterKind(process.stdout, this.jsonEnabled()), opts);
  }

  protected override async init(): Promise<void> {
    await super.init();
    configureColor(process.stdout);
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    // this.exit() is how a command ends early, not a failure.
    if (err instanceof Errors.ExitError) return super.catch(err);
    const own = failureOf(err);
    const failure = { ...own, exit: (this.constructor as typeof WmonCommand).failureExitCode ?? own.exit };
    process.exitCode = failure.exit;
    if (failure.code === 'INTERNAL' && process.env.DEBUG) console.error(err.stack);
    if (this.jsonEnabled()) {
      const json: JsonError = { error: failure };
      this.logJson(json);
      return;
    }
    return this.printFailure(failure, err);
  }

  /**
   * Prints a failure (not with --json): the message, its code and next steps on stderr, as oclif prints
   * errors; oclif's own usage errors keep oclif's rendering.
   */
  protected printFailure(failure: Failure, err: Interfaces.CommandError): Promise<unknown> | void {
    if (oclifExit(err) !== undefined) return super.catch(err);
    this.error(failure.message, {
      exit: failure.exit,
      ...(failure.code === 'INTERNAL' ? {} : { code: failure.code }),
      suggestions: [...failure.suggestions],
    });
  }
}
