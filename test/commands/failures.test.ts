/**
 * How every command fails (src/cli/base-command.ts): each failure exits with its own documented code, with
 * the message on stderr, or with --json the documented error shape on stdout. (`wmon check`, which always
 * exits 3: test/commands/check.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { wmon } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const errorJson = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), exit: z.number(), suggestions: z.array(z.string()) }),
});

describe('a failing command', () => {
  it('prints a WmonError as a message with its code and next steps, and exits with its exit code', async () => {
    const dir = await tempDir();
    const text = await wmon(['metrics'], { cwd: dir });
    expect(text.exitCode).toBe(78);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(
      /Error: wmon\.yaml does not exist\.\n.*Code: CONFIG_MISSING\n.*Try this: Run `wmon init`/,
    );

    const json = await wmon(['metrics', '--json'], { cwd: dir });
    expect(json.exitCode).toBe(78);
    expect(errorJson.parse(JSON.parse(json.stdout))).toEqual({
      error: {
        code: 'CONFIG_MISSING',
        message: 'wmon.yaml does not exist.',
        exit: 78,
        suggestions: ['Run `wmon init` to create it with defaults, or pass --config PATH.'],
      },
    });
  });

  it("reports oclif's own usage errors as USAGE, exit 2, in the documented JSON shape too", async () => {
    const text = await wmon(['render', '--bogus']);
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toContain('Nonexistent flag: --bogus');

    for (const args of [
      ['render', '--bogus', '--json'],
      ['restore', '--json'],
      ['backup', '--keep', '0', '--json'],
    ]) {
      const r = await wmon(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      const { error } = errorJson.parse(JSON.parse(r.stdout));
      expect(error, args.join(' ')).toMatchObject({ code: 'USAGE', exit: 2, suggestions: [] });
    }
  });
});
