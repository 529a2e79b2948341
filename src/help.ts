import { Help } from '@oclif/core';

import { EXIT_CODES } from './lib/errors.js';

/** Root help: the command list, plus examples and the exit-code table (the same as the README's). */
export default class WmonHelp extends Help {
  override formatRoot(): string {
    const bin = this.config.bin;
    const examples = [
      ['Render the stack configuration for review, without starting anything', `${bin} render --out deploy/monitoring`],
      ['Machine-readable output from any command', `${bin} render --json`],
      ['Use another configuration file', `${bin} render --config environments/production.yaml`],
    ];
    const exitCodes = Object.values(EXIT_CODES).map(({ code, meaning }) => `  ${String(code).padStart(2)}  ${meaning}`);
    return [
      super.formatRoot(),
      this.section('EXAMPLES', examples.map(([what, cmd]) => `${what}\n\n  $ ${cmd}`).join('\n\n')),
      this.section('EXIT CODES', exitCodes.join('\n')),
    ].join('\n\n');
  }
}
