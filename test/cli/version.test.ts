import { Config } from '@oclif/core';
import { describe, expect, it } from 'vitest';

import { REPO, wmon } from '../support/cli.js';

describe('wmon --version', () => {
  it("answers in oclif's own words without loading it, and exits 0", async () => {
    const config = await Config.load(REPO);
    const r = await wmon(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(config.userAgent);
  });

  it('leaves everything else to oclif: --version with another argument is still its business', async () => {
    const r = await wmon(['--version', '--json']);
    const config = await Config.load(REPO);
    expect(r.stdout.trim()).toBe(config.userAgent);
  });
});
