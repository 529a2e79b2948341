import { describe, expect, it } from 'vitest';

import { linesReporter, reporterKind } from '../../src/cli/reporters.js';
import { pipeline, type Step } from '../../src/ops/steps.js';

const build: Step<object, object> = {
  title: 'Images',
  async run(_s, io) {
    for (let i = 1; i <= 80; i++) io.output(`STEP ${i}/80: RUN something`);
    io.output('images: 3 present, 1 built');
    return {};
  },
};
const skipped: Step<object, object> = {
  title: 'Apply',
  async run(_s, io) {
    io.skip('nothing changed');
    return {};
  },
};
const failing: Step<object, object> = {
  title: 'Build',
  async run(_s, io) {
    io.output('STEP 1/2: FROM node');
    io.output('npm ERR! missing script');
    throw new Error('the build failed');
  },
};

describe('progress on odd terminals', () => {
  it('uses the live renderer only on a terminal of known, usable width', () => {
    expect(reporterKind({ isTTY: true, columns: 120 }, false)).toBe('tty');
    expect(reporterKind({ isTTY: true, columns: 0 }, false)).toBe('lines'); // `script -qec`
    expect(reporterKind({ isTTY: true }, false)).toBe('lines');
    expect(reporterKind({ isTTY: true, columns: 20 }, false)).toBe('lines');
    expect(reporterKind({ isTTY: false, columns: 120 }, false)).toBe('lines');
    expect(reporterKind({ isTTY: true, columns: 120 }, true)).toBe('silent');
  });

  it('without a terminal: each step once, a build collapsed to its last line', async () => {
    const lines: string[] = [];
    await pipeline<object>()
      .then(build)
      .then(skipped)
      .run(
        {},
        linesReporter((l) => lines.push(l)),
      );
    expect(lines).toEqual(['✔ Images', '  › images: 3 present, 1 built', '↓ Apply (skipped: nothing changed)']);
  });

  it("prints a failed step's whole output, and everything as it comes with verbose", async () => {
    const lines: string[] = [];
    await expect(
      pipeline<object>()
        .then(failing)
        .run(
          {},
          linesReporter((l) => lines.push(l)),
        ),
    ).rejects.toThrow('the build failed');
    expect(lines).toEqual(['✖ Build', '  › STEP 1/2: FROM node', '  › npm ERR! missing script']);

    const verbose: string[] = [];
    await pipeline<object>()
      .then(build)
      .run(
        {},
        linesReporter((l) => verbose.push(l), { verbose: true }),
      );
    expect(verbose).toHaveLength(82);
    expect(verbose.at(-1)).toBe('✔ Images');
  });
});
