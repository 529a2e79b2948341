/**
 * `wmon check` when it cannot run at all: a Nagios plugin then says UNKNOWN (exit 3), whatever went wrong,
 * with a status line first on stdout. (The checks themselves: observe.integration and the e2e tests.)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { wmon } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const errorJson = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    exit: z.literal(3),
    suggestions: z.array(z.string()),
  }),
});

let dir: string;

beforeAll(async () => {
  dir = await tempDir();
  await writeFile(path.join(dir, 'bad.yaml'), 'components:\n  prometheus: {port: 99999}\n  alertmanager: {port: 0}\n');
});

const check = (...args: string[]) => wmon(['check', ...args], { cwd: dir });

describe('wmon check that cannot run', () => {
  it('says UNKNOWN for an invalid wmon.yaml: a status line complete on its own, then the details, all on stdout', async () => {
    const r = await check('--config', 'bad.yaml');
    expect(r.exitCode).toBe(3);
    const [status, ...details] = r.stdout.split('\n');
    expect(status).toMatch(
      /^WMON UNKNOWN - bad\.yaml is invalid \(2 problems\): components\.prometheus\.port: .+ \(\+1 more below\)$/,
    );
    expect(details.join('\n')).toMatch(/^ {2}components\.alertmanager\.port: .+$/m);
    expect(details.at(-1)).toBe('Try: Fix the listed paths in bad.yaml, then run the command again.');
    expect(r.stderr).toBe('');

    const j = await check('--config', 'bad.yaml', '--json');
    expect(j.exitCode).toBe(3);
    const { error } = errorJson.parse(JSON.parse(j.stdout));
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      suggestions: ['Fix the listed paths in bad.yaml, then run the command again.'],
    });
    expect(error.message).toMatch(/^bad\.yaml is invalid \(2 problems\):\n {2}components\.prometheus\.port: /);
  });

  it('says UNKNOWN, with the error code of what went wrong, when wmon.yaml is missing', async () => {
    const r = await check('--json');
    expect(r.exitCode).toBe(3);
    const { error } = errorJson.parse(JSON.parse(r.stdout));
    expect(error).toMatchObject({ code: 'CONFIG_MISSING', message: 'wmon.yaml does not exist.' });
    const text = await check();
    expect(text.exitCode).toBe(3);
    expect(text.stdout).toBe(
      'WMON UNKNOWN - wmon.yaml does not exist.\nTry: Run `wmon init` to create it with defaults, or pass --config PATH.',
    );
  });

  it("says UNKNOWN for oclif's own usage errors too (exit 3, code USAGE)", async () => {
    const unknown = await check('--verbosity');
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stdout).toBe(
      'WMON UNKNOWN - Nonexistent flag: --verbosity - See more help with --help\nSee more help with --help',
    );

    const range = await check('--timeout', '0', '--json');
    expect(range.exitCode).toBe(3);
    expect(errorJson.parse(JSON.parse(range.stdout)).error).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('Expected an integer greater than or equal to 1 but received: 0'),
      suggestions: [],
    });
  });
});
