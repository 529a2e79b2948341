import type { Command } from '@oclif/core';

/** What stands before the command in an example: environment assignments (`WMON_FORCE=1`) and `sudo`. */
const PREFIX = /^((?:(?:sudo|[A-Z][A-Z0-9_]*=\S*)(?:\s+|$))*)(.*)$/s;

/**
 * A command's help examples, one row each: what it does → what follows `wmon <command>` (environment
 * assignments and `sudo` at its start stay before the command, as a shell reads them).
 */
export function examples(rows: Readonly<Record<string, string>>): Command.Example[] {
  return Object.entries(rows).map(([description, args]) => {
    const [, prefix = '', rest = ''] = PREFIX.exec(args) ?? [];
    const command = [prefix.trim(), '<%= config.bin %> <%= command.id %>', rest.trim()]
      .filter((s) => s !== '')
      .join(' ');
    return { description, command };
  });
}
