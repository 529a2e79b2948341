import { describe, expect, it } from 'vitest';

import { chalk, configureColor } from '../../src/cli/colors.js';
import { plainOutput } from '../support/colour.js';

plainOutput();

/** What `chalk.red('x')` prints after configureColor decided for this stream and environment. */
function painted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): string {
  chalk.level = 1;
  configureColor(stream, env);
  return chalk.red('x');
}

describe('colour', () => {
  const coloured = '\u001b[31mx\u001b[39m';

  it('is on for a terminal', () => {
    expect(painted({ isTTY: true }, {})).toBe(coloured);
  });

  it('is off with NO_COLOR set to anything but empty (no-color.org)', () => {
    expect(painted({ isTTY: true }, { NO_COLOR: '1' })).toBe('x');
    expect(painted({ isTTY: true }, { NO_COLOR: 'false' })).toBe('x');
    expect(painted({ isTTY: true }, { NO_COLOR: '' })).toBe(coloured);
  });

  it('is off when the output is not a terminal, unless FORCE_COLOR asks for it', () => {
    expect(painted({ isTTY: false }, {})).toBe('x');
    expect(painted({}, {})).toBe('x');
    expect(painted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(coloured);
    expect(painted({ isTTY: false }, { FORCE_COLOR: '0' })).toBe('x');
  });

  it('NO_COLOR wins over FORCE_COLOR', () => {
    expect(painted({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe('x');
  });
});
