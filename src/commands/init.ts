import { Flags } from '@oclif/core';

import type { InitResultJson } from '../results.js';
import { TEMPLATE_FILE } from '../package.js';
import { initStack } from '../ops/up.js';
import { WmonCommand } from '../cli/base-command.js';
import { examples } from '../cli/examples.js';
import { readyTimeoutFlag } from '../cli/flags.js';
import { formatInit } from '../cli/format/init.js';

export default class Init extends WmonCommand {
  static override summary = 'Create wmon.yaml if needed, render the stack and start it; only what changed is touched.';

  static override description = `Loads wmon.yaml (creating it with the defaults when absent), renders every configuration file into the stack directory, finds the container engine (DOCKER_HOST, the Docker socket, Docker Desktop's sockets, Podman's rootful and rootless sockets), checks every host port before creating anything, pulls missing images (or builds the bundled webhook service), creates the network, volumes and containers, starts them in dependency order and waits until each answers over HTTP. Prints the URLs and where the credentials are.

Running it again with nothing changed changes nothing. After a change in wmon.yaml, only the components whose container settings or image changed are recreated; Prometheus and Alertmanager reload changed files in place.`;

  static override examples = examples({
    'Start the stack (creates wmon.yaml with the defaults if there is none)': '',
    'Show the plan without touching anything': '--dry-run',
    'Keep the containers of a failed start for inspection': '--keep-on-failure',
    'From CI, with a longer readiness deadline and JSON output': 'WMON_TIMEOUT=300 --json',
  });

  static override flags = {
    'dry-run': Flags.boolean({
      summary: 'Print the plan (files, images, containers) and change nothing.',
      env: 'WMON_DRY_RUN',
    }),
    'keep-on-failure': Flags.boolean({
      summary: 'When a component fails to start, leave the containers this run created (for inspection).',
      env: 'WMON_KEEP_ON_FAILURE',
    }),
    timeout: readyTimeoutFlag(),
  };

  async run(): Promise<InitResultJson> {
    const { flags } = await this.parse(Init);
    const dryRun = flags['dry-run'];
    const ctx = await this.openStack(flags.config, { ifMissing: dryRun ? 'defaults' : { createFrom: TEMPLATE_FILE } });
    const options = { dryRun, keepOnFailure: flags['keep-on-failure'], timeoutMs: flags.timeout * 1000 };
    const result = await initStack(ctx, options, this.reporter({ verbose: flags.verbose }));
    if (!this.jsonEnabled()) this.log(formatInit(result));
    return result;
  }
}
