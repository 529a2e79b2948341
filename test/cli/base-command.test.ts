/**
 * What every wmon command does with an error, as a user meets it: the message and its next steps on
 * stderr and the documented exit code, or with --json the error object on stdout; an unexpected error is
 * exit 1 and says it is a bug. Commands made for the test run through oclif as the `wmon` binary runs them
 * (the command's run, then oclif's error handler), in this process: only the process exit is caught.
 */
import { format } from 'node:util';

import { Config, Flags } from '@oclif/core';
import { Exit, handle } from '@oclif/core/handle';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { WmonCommand } from '../../src/cli/base-command.js';
import { chalk } from '../../src/cli/colors.js';
import { ConfigError, EXIT_CODES, WmonError } from '../../src/errors.js';
import { REPO } from '../support/cli.js';

interface Run {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

let config: Config;
beforeAll(async () => {
  config = await Config.load(REPO);
});

const levelBefore = chalk.level;
afterEach(() => {
  chalk.level = levelBefore;
  vi.unstubAllEnvs();
});

/** Everything written to stdout and stderr (directly, or through console) while `fn` runs. */
async function captured(fn: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const spies = [
    vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true)),
    vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true)),
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out.stdout += `${format(...a)}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (out.stderr += `${format(...a)}\n`)),
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void (out.stderr += `${format(...a)}\n`)),
  ];
  try {
    await fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return out;
}

/**
 * Run a command class as the binary runs one: its errors go to oclif's handler, and the exit code is what
 * the process would end with (the handler's exit, else process.exitCode).
 */
async function run(
  command: { run(argv: string[], config: Config): Promise<unknown> },
  argv: string[] = [],
): Promise<Run> {
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  let exited: number | undefined;
  const exit = vi.spyOn(Exit, 'exit').mockImplementation(((code = 0) => {
    exited = code;
  }) as typeof Exit.exit);
  try {
    const { stdout, stderr } = await captured(async () => {
      try {
        await command.run(argv, config);
      } catch (error) {
        await handle(error as Error);
      }
    });
    const exitCode = exited ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
    return { exitCode, stdout, stderr };
  } finally {
    exit.mockRestore();
    process.exitCode = exitCodeBefore;
  }
}

/** stderr as a person reads it: oclif's ` ›` margins gone and its wrapped lines joined. */
const readable = (stderr: string) => stderr.replace(/^ › {0,3}/gm, '').replace(/\s+/g, ' ');

/** A command that fails with the error `make` gives. */
function failingWith(make: () => Error) {
  return class extends WmonCommand {
    static override description = 'A command that fails (for the test).';
    async run(): Promise<void> {
      await this.parse();
      throw make();
    }
  };
}

const portTaken = () =>
  new WmonError('Port 9090 (prometheus) on 127.0.0.1 is taken by container other-prometheus.', {
    code: 'PORT_TAKEN',
    suggestions: ['Stop that container, or set ports.prometheus in wmon.yaml.', 'Then run `wmon init` again.'],
  });

describe('a WmonError', () => {
  it('is its message and next steps on stderr, with its exit code; never a stack trace', async () => {
    const r = await run(failingWith(portTaken));
    expect(r.exitCode).toBe(75);
    expect(r.stdout).toBe('');
    const text = readable(r.stderr);
    expect(text).toContain('Error: Port 9090 (prometheus) on 127.0.0.1 is taken by container other-prometheus.');
    expect(text).toContain('Code: PORT_TAKEN');
    expect(text).toContain(
      'Try this: * Stop that container, or set ports.prometheus in wmon.yaml. * Then run `wmon init` again.',
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('with --json is one JSON object on stdout: code, message, exit and suggestions; nothing on stderr', async () => {
    const r = await run(failingWith(portTaken), ['--json']);
    expect(r.exitCode).toBe(75);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'PORT_TAKEN',
        message: 'Port 9090 (prometheus) on 127.0.0.1 is taken by container other-prometheus.',
        exit: 75,
        suggestions: ['Stop that container, or set ports.prometheus in wmon.yaml.', 'Then run `wmon init` again.'],
      },
    });
  });

  it('keeps each documented exit code, e.g. an invalid wmon.yaml is 78 and lists every problem', async () => {
    const invalid = () =>
      new ConfigError('wmon.yaml', [
        { path: 'ports.grafana', message: 'must be between 1 and 65535' },
        { path: 'project', message: 'is required' },
      ]);
    const r = await run(failingWith(invalid));
    expect(r.exitCode).toBe(EXIT_CODES.config.code);
    expect(r.stderr).toMatch(
      /wmon\.yaml is invalid \(2 problems\):\n.*ports\.grafana: must be between 1 and 65535\n.*project: is required\n/,
    );
    expect(readable(r.stderr)).toContain('Try this: Fix the listed paths in wmon.yaml, then run the command again.');
    const json = JSON.parse((await run(failingWith(invalid), ['--json'])).stdout) as {
      error: { code: string; exit: number };
    };
    expect(json.error).toMatchObject({ code: 'CONFIG_INVALID', exit: 78 });
  });
});

describe('an unexpected error (a bug)', () => {
  const bug = () => new TypeError("Cannot read properties of undefined (reading 'hostPort')");

  it('exits 1 and says it is a bug, how to see more and to report it; no stack trace', async () => {
    const r = await run(failingWith(bug));
    expect(r.exitCode).toBe(1);
    expect(readable(r.stderr)).toContain(
      "Error: Unexpected error: Cannot read properties of undefined (reading 'hostPort')",
    );
    expect(readable(r.stderr)).toContain(
      'Try this: This is a bug in wmon. Run again with DEBUG=wmon for details and report it.',
    );
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('shows its stack with DEBUG set', async () => {
    vi.stubEnv('DEBUG', 'wmon');
    const r = await run(failingWith(bug));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/TypeError: Cannot read properties of undefined \(reading 'hostPort'\)\n\s+at /);
  });

  it('with --json is the error object with code INTERNAL and exit 1', async () => {
    const r = await run(failingWith(bug), ['--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'INTERNAL',
        message: "Unexpected error: Cannot read properties of undefined (reading 'hostPort')",
        exit: 1,
        suggestions: ['This is a bug in wmon. Run again with DEBUG=wmon for details and report it.'],
      },
    });
  });
});

describe("oclif's own errors", () => {
  it('a flag the command does not know is usage (exit 2), named in the message', async () => {
    const r = await run(failingWith(portTaken), ['--no-such-flag']);
    expect(r.exitCode).toBe(2);
    expect(readable(r.stderr)).toContain('Error: Nonexistent flag: --no-such-flag');
  });

  it('a command that succeeds exits 0, and --config comes from WMON_CONFIG when not given', async () => {
    vi.stubEnv('WMON_CONFIG', 'environments/production.yaml');
    class ShowsConfig extends WmonCommand {
      static override flags = { shout: Flags.boolean() };
      async run(): Promise<void> {
        const { flags } = await this.parse(ShowsConfig);
        this.log(flags.shout ? flags.config.toUpperCase() : flags.config);
      }
    }
    expect(await run(ShowsConfig)).toEqual({ exitCode: 0, stdout: 'environments/production.yaml\n', stderr: '' });
    expect((await run(ShowsConfig, ['--config', 'other.yaml'])).stdout).toBe('other.yaml\n');
  });
});

describe('colour', () => {
  class Paints extends WmonCommand {
    async run(): Promise<void> {
      await this.parse(Paints);
      this.log(chalk.red('CRITICAL'));
    }
  }

  async function onTerminal(env: Record<string, string>): Promise<string> {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    chalk.level = 1;
    try {
      return (await run(Paints)).stdout;
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  }

  it('is on for a terminal, off with NO_COLOR', async () => {
    expect(await onTerminal({ NO_COLOR: '' })).toBe('\u001b[31mCRITICAL\u001b[39m\n');
    expect(await onTerminal({ NO_COLOR: '1' })).toBe('CRITICAL\n');
  });

  it('is off when the output is not a terminal (a pipe, a file, cron)', async () => {
    chalk.level = 1;
    expect((await run(Paints)).stdout).toBe('CRITICAL\n');
  });
});
