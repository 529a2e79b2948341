import { describe, expect, it } from 'vitest';

import { examples } from '../../src/cli/examples.js';

describe('examples', () => {
  it('writes each row as `wmon <command>` and its flags, keeping environment assignments in front', () => {
    expect(
      examples({
        Plain: '',
        'With flags': '--output /tmp/x --keep 7',
        'From CI': 'WMON_FORCE=1 WMON_TIMEOUT=300 --no-backup --json',
        'As root': 'sudo',
        'As root, from a script': 'sudo --yes',
      }),
    ).toEqual([
      { description: 'Plain', command: '<%= config.bin %> <%= command.id %>' },
      { description: 'With flags', command: '<%= config.bin %> <%= command.id %> --output /tmp/x --keep 7' },
      {
        description: 'From CI',
        command: 'WMON_FORCE=1 WMON_TIMEOUT=300 <%= config.bin %> <%= command.id %> --no-backup --json',
      },
      { description: 'As root', command: 'sudo <%= config.bin %> <%= command.id %>' },
      { description: 'As root, from a script', command: 'sudo <%= config.bin %> <%= command.id %> --yes' },
    ]);
  });
});
