import { Help } from '@oclif/core';

import { EXIT_CODES } from '../errors.js';

/** Root help: the command list, plus examples and the exit-code table (the same as the README's). */
export default class WmonHelp extends Help {
  override formatRoot(): string {
    const bin = this.config.bin;
    const examples = [
      ['Start the whole stack (creates wmon.yaml with the defaults if there is none)', `${bin} init`],
      ['Show what init would do, touching nothing', `${bin} init --dry-run`],
      ['Check every part from cron: quiet when healthy, Nagios exit codes', `${bin} check --quiet`],
      ['Key figures of the last 15 minutes', `${bin} metrics --window 15m`],
      ['A JUnit report of the last day for CI', `${bin} report --format junit --output wmon.xml --fail-on warning`],
      ['Render the configuration for review, without starting anything', `${bin} render --out deploy/monitoring`],
      [
        'Machine-readable output from any command, with another configuration file',
        `${bin} urls --json --config environments/production.yaml`,
      ],
    ];
    const exitCodes = Object.values(EXIT_CODES).map(({ code, meaning }) => `  ${String(code).padStart(2)}  ${meaning}`);
    return [
      super.formatRoot(),
      this.section('EXAMPLES', examples.map(([what, cmd]) => `${what}\n\n  $ ${cmd}`).join('\n\n')),
      this.section('EXIT CODES', exitCodes.join('\n')),
    ].join('\n\n');
  }
}
