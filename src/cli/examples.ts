import type { Command } from '@oclif/core';

/** Environment assignments (`WMON_FORCE=1 `) that stand before the command in an example. */
const ENV_PREFIX = /^((?:[A-Z][A-Z0-9_]*=\S*\s+)*)(.*)$/s;

/**
 * A command's help examples, one row each: what it does → what follows `wmon <command>` (environment
 * assignments at its start stay before the command, as a shell reads them).
 */
export function examples(rows: Readonly<Record<string, string>>): Command.Example[] {
  return Object.entries(rows).map(([description, args]) => {
    const [, env = '', rest = ''] = ENV_PREFIX.exec(args) ?? [];
    const command = `${env}<%= config.bin %> <%= command.id %>${rest === '' ? '' : ` ${rest}`}`;
    return { description, command };
  });
}
