import { afterEach, beforeEach } from 'vitest';

import { chalk } from '../../src/cli/colors.js';

/**
 * The tests of this file read text as a pipe gets it (no colour codes); a test may turn colour on (set
 * chalk.level) to check what a terminal shows. The level is put back after each test.
 */
export function plainOutput(): void {
  let before = chalk.level;
  beforeEach(() => {
    before = chalk.level;
    chalk.level = 0;
  });
  afterEach(() => {
    chalk.level = before;
  });
}
