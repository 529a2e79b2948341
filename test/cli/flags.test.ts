/**
 * The custom flags of src/cli/flags.ts, through the built binary: a good value reaches the command (which
 * then fails further on, for want of a stack, with its own code), a bad one is a usage error that names the
 * flag, before anything else, with the documented JSON shape.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { wmon, type CliResult } from '../support/cli.js';
import { writeEntries } from '../support/archives.js';
import { tempDir } from '../support/tmp.js';

const errorJson = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), exit: z.number(), suggestions: z.array(z.string()) }),
});

let dir: string;

beforeAll(async () => {
  dir = await tempDir();
});

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return wmon(args, { cwd: dir, env });
}

function jsonError(r: CliResult): z.infer<typeof errorJson>['error'] {
  return errorJson.parse(JSON.parse(r.stdout)).error;
}

/** The run was refused with this exit code and exactly this JSON error. */
function expectRefused(
  r: CliResult,
  exit: number,
  error: { code: string; message: string; suggestions: string[] },
  what?: string,
) {
  expect(r.exitCode, what).toBe(exit);
  expect(jsonError(r), what).toEqual({ ...error, exit });
}

describe('restore --max-size (a size)', () => {
  let archive: string;

  beforeAll(async () => {
    // 3 KiB of Prometheus data and no manifest: over a 2K limit it is too large, under it it has no manifest.
    archive = path.join(dir, 'big.tar.gz');
    await writeEntries(archive, [{ path: 'prometheus/data/chunk', data: Buffer.alloc(3072, 1) }]);
  });

  it('refuses the archive above the size given, in any unit, on the command line or in the environment', async () => {
    for (const [args, env] of [
      [['--max-size', '2K'], {}],
      [['--max-size', '2 KiB'], {}],
      [[], { WMON_RESTORE_MAX_SIZE: '2048' }],
    ] as const) {
      const r = await run(['restore', archive, '--dry-run', '--json', ...args], env);
      expect(r.exitCode, r.stderr).toBe(65);
      expect(jsonError(r)).toMatchObject({
        code: 'ARCHIVE_TOO_LARGE',
        message: expect.stringContaining('more than 2048 bytes (the limit; see --max-size)'),
      });
    }
    const under = await run(['restore', archive, '--dry-run', '--json', '--max-size', '1.5M']);
    expect(jsonError(under)).toMatchObject({ code: 'ARCHIVE_MANIFEST_INVALID', exit: 65 });
  });

  it('is a usage error (exit 2, BAD_SIZE) when it is not a size', async () => {
    const text = await run(['restore', archive, '--max-size', 'lots']);
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toContain('Error: --max-size: "lots" is not a size (e.g. 100G, 512M).');
    expect(text.stderr).toContain('Code: BAD_SIZE');
    expect(text.stderr).not.toContain('Parsing --max-size');

    const json = await run(['restore', archive, '--json'], { WMON_RESTORE_MAX_SIZE: '1P' });
    expectRefused(json, 2, {
      code: 'BAD_SIZE',
      message: '--max-size: "1P" is not a size (e.g. 100G, 512M).',
      suggestions: [],
    });
  });
});

describe('report --slo-availability (a percentage)', () => {
  it('takes a number greater than 0 and at most 100', async () => {
    // No wmon.yaml here: a value the flag accepts gets as far as loading it.
    for (const value of ['100', '0.1']) {
      const r = await run(['report', '--slo-availability', value, '--json']);
      expect(jsonError(r), value).toMatchObject({ code: 'CONFIG_MISSING', exit: 78 });
    }
  });

  it('is a usage error (exit 2) otherwise, naming the value and the range', async () => {
    for (const value of ['0', '100.1', 'high']) {
      const r = await run(['report', '--slo-availability', value, '--json']);
      expectRefused(
        r,
        2,
        {
          code: 'USAGE',
          message: `--slo-availability ${JSON.stringify(value)} is not a percentage.`,
          suggestions: ['Give a number greater than 0 and at most 100, such as 99.9.'],
        },
        value,
      );
    }
    const env = await run(['report'], { WMON_SLO_AVAILABILITY: '250' });
    expect(env.exitCode).toBe(2);
    expect(env.stderr).toContain('Error: --slo-availability "250" is not a percentage.');
    expect(env.stderr).toContain('Try this: Give a number greater than 0 and at most 100, such as 99.9.');
  });
});

describe('report --format and --fail-on (one of a list)', () => {
  it('takes a listed value', async () => {
    const r = await run(['report', '--format', 'junit', '--fail-on', 'never', '--json']);
    expect(jsonError(r)).toMatchObject({ code: 'CONFIG_MISSING', exit: 78 });
  });

  it('is a usage error (exit 2) otherwise, with the documented JSON shape', async () => {
    const text = await run(['report', '--format', 'pdf']);
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toContain('Expected --format=pdf to be one of: markdown, json, html, junit');

    const json = await run(['report', '--fail-on', 'sometimes', '--json']);
    expect(json.exitCode).toBe(2);
    expect(jsonError(json)).toMatchObject({
      code: 'USAGE',
      exit: 2,
      message: expect.stringContaining('Expected --fail-on=sometimes to be one of: critical, warning, never'),
    });
  });
});

describe('--window (a duration)', () => {
  it('takes a Prometheus duration of at most 31 days', async () => {
    for (const [command, value] of [
      ['metrics', '1h30m'],
      ['report', '31d'],
    ] as const) {
      const r = await run([command, '--window', value, '--json']);
      expect(jsonError(r), `${command} ${value}`).toMatchObject({ code: 'CONFIG_MISSING', exit: 78 });
    }
  });

  it('is a usage error (exit 2) when it is not a duration or longer than 31 days, before wmon.yaml is read', async () => {
    const invalid = await run(['metrics', '--window', '5 minutes', '--json']);
    expectRefused(invalid, 2, {
      code: 'WINDOW_INVALID',
      message: '--window "5 minutes" is not a duration.',
      suggestions: ['Give a Prometheus duration such as 5m, 1h or 24h.'],
    });
    const long = await run(['report', '-w', '32d']);
    expect(long.exitCode).toBe(2);
    expect(long.stderr).toContain('Error: --window 32d is longer than 31 days.');
    expect(long.stderr).toContain('Code: WINDOW_TOO_LONG');
    const env = await run(['metrics', '--json'], { WMON_WINDOW: 'yesterday' });
    expect(jsonError(env)).toMatchObject({ code: 'WINDOW_INVALID', exit: 2 });
  });

  it('still needs two scrape intervals, which only wmon.yaml can tell', async () => {
    await writeFile(path.join(dir, 'slow.yaml'), 'prometheus:\n  scrapeInterval: 1m\n');
    const r = await run(['metrics', '--window', '90s', '--config', 'slow.yaml', '--json']);
    expect(r.exitCode).toBe(2);
    expect(jsonError(r)).toMatchObject({ code: 'WINDOW_TOO_SHORT', message: expect.stringContaining('(2m)') });
  });
});

describe('check --skip (groups)', () => {
  const ALL = ['engine', 'ready', 'targets', 'rules', 'alerts', 'drift', 'grafana', 'loki', 'jaeger', 'secrets'];

  beforeAll(async () => {
    await writeFile(path.join(dir, 'wmon.yaml'), 'project: flags\n');
  });

  it('leaves out every group named, repeated or comma-separated, on the command line or in the environment', async () => {
    for (const [args, env] of [
      [['--skip', ALL.join(',')], {}],
      [
        [
          '--skip',
          'engine,ready',
          '--skip',
          'targets',
          '--skip',
          'rules, alerts,drift',
          '--skip',
          'grafana,loki,jaeger',
          '--skip',
          'secrets',
        ],
        {},
      ],
      [[], { WMON_CHECK_SKIP: ALL.join(',') }],
    ] as const) {
      const r = await run(['check', '--json', ...args], env);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'OK', checks: [], summary: 'WMON OK - 0 checks passed' });
    }
  });

  it('is UNKNOWN (exit 3) for an unknown group, naming every one', async () => {
    const r = await run(['check', '--skip', 'engine,nonsense', '--skip', 'loki,bogus']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe(`WMON UNKNOWN - --skip: unknown group(s) nonsense.\nTry: The groups are ${ALL.join(', ')}.`);
    // Each occurrence is read on its own: the first bad one stops the parse.
    const one = await run(['check', '--skip', 'nonsense,bogus', '--json']);
    expectRefused(one, 3, {
      code: 'USAGE',
      message: '--skip: unknown group(s) nonsense, bogus.',
      suggestions: [`The groups are ${ALL.join(', ')}.`],
    });
    const env = await run(['check'], { WMON_CHECK_SKIP: 'engine,drfit' });
    expect(env.exitCode).toBe(3);
    expect(env.stdout).toBe(`WMON UNKNOWN - --skip: unknown group(s) drfit.\nTry: The groups are ${ALL.join(', ')}.`);
    expect(env.stdout + env.stderr).not.toContain('Parsing --skip');
  });
});
