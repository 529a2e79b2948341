import { Command, Flags, type Interfaces } from '@oclif/core';

import { DEFAULT_CONFIG_FILE } from '../core/config/load.js';
import { EXIT_CODES, isWmonError } from '../errors.js';
import { openStackContext, type OpenOptions, type StackContext } from '../context.js';
import type { Reporter } from '../ops/steps.js';
import { configureColor } from './colors.js';
import { createReporter } from './reporters.js';

/** The shape every command prints with --json when it fails (documented in the README). */
export interface JsonError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly exit: number;
    readonly suggestions: readonly string[];
  };
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
  };

  /** The stack of --config, opened once for this run. */
  protected openStack(configFile: string, opts: OpenOptions = {}): Promise<StackContext> {
    return openStackContext(configFile, opts);
  }

  /** How this run shows progress: nothing for --json, listr2 on a terminal, plain lines elsewhere. */
  protected reporter(): Reporter {
    return createReporter(this.jsonEnabled() ? 'silent' : process.stdout.isTTY ? 'tty' : 'lines');
  }

  protected override async init(): Promise<void> {
    await super.init();
    configureColor(process.stdout);
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    if (isWmonError(err)) {
      process.exitCode = err.exit;
      if (this.jsonEnabled()) {
        const json: JsonError = {
          error: { code: err.code, message: err.message, exit: err.exit, suggestions: err.suggestions },
        };
        this.logJson(json);
        return;
      }
      this.error(err.message, { exit: err.exit, code: err.code, suggestions: [...err.suggestions] });
    }
    // oclif's own errors (bad flags: exit 2, this.exit, this.error) keep their handling.
    if ((err as { oclif?: unknown }).oclif !== undefined) return super.catch(err);
    if (process.env.DEBUG) console.error(err.stack);
    const message = `Unexpected error: ${err.message}`;
    process.exitCode = EXIT_CODES.internal.code;
    if (this.jsonEnabled()) {
      const json: JsonError = {
        error: {
          code: 'INTERNAL',
          message,
          exit: EXIT_CODES.internal.code,
          suggestions: ['This is a bug in wmon. Run again with DEBUG=wmon for details and report it.'],
        },
      };
      this.logJson(json);
      return;
    }
    this.error(message, {
      exit: EXIT_CODES.internal.code,
      suggestions: ['This is a bug in wmon. Run again with DEBUG=wmon for details and report it.'],
    });
  }
}
