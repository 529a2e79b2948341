import { createInterface } from 'node:readline/promises';

import { Flags } from '@oclif/core';

import { WmonError } from '../../errors.js';
import type { EngineInstallResultJson } from '../../results.js';
import { installEngine, planEngineInstall, type EngineInstallPlan } from '../../ops/engine-install.js';
import { WmonCommand } from '../../cli/base-command.js';
import { examples } from '../../cli/examples.js';
import { formatEngineInstall, formatEngineInstallPlan } from '../../cli/format/engine-install.js';

export default class EngineInstall extends WmonCommand {
  static override summary =
    "Install a container engine: Podman from Debian's or Ubuntu's packages, serving the Docker API (as root; asks first).";

  static override description = `For machines with no container engine: installs the packages podman and runc (apt-get), sets two keys in /etc/containers/containers.conf (default_ulimits = [] and runtime = "runc", so that containers start in unprivileged sandboxes; every other setting is kept, a backup is left once), and starts Podman's API service on /run/podman/podman.sock, where wmon finds it. It lists what it will do and asks first, unless --yes. Idempotent: it does only what is missing, and nothing when everything is there. Runs on Debian and Ubuntu only, as root; elsewhere install Docker or Podman as your system does (\`wmon init\`'s error says how).

Nothing restarts the API service after a reboot on a machine without systemd: run this again.

Exit codes: 0 done; 2 not confirmed, or no terminal to ask on and no --yes; 69 not Debian/Ubuntu or not root, or the installation failed (the message has the installer's last lines).`;

  static override examples = examples({
    'See what it would install, and answer': 'sudo',
    'From a provisioning script': 'sudo --yes',
    'Machine-readable, for CI (prints the DOCKER_HOST value)': 'sudo --yes --json',
  });

  static override flags = {
    yes: Flags.boolean({ char: 'y', summary: 'Install without asking (for scripts).', env: 'WMON_YES' }),
  };

  async run(): Promise<EngineInstallResultJson> {
    const { flags } = await this.parse(EngineInstall);
    const reporter = this.reporter();
    const plan = await planEngineInstall({}, reporter);
    if (plan.items.some((i) => i.status === 'install') && !flags.yes) await this.confirm(plan);
    const result = await installEngine(plan, {}, reporter);
    if (!this.jsonEnabled()) this.log(formatEngineInstall(result));
    return result;
  }

  /** On a terminal: list what it will do and ask. Elsewhere: refuse (a script says --yes). */
  private async confirm(plan: EngineInstallPlan): Promise<void> {
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new WmonError(
        `wmon engine install changes this machine and asks first; there is no terminal to ask on. It would install:\n${formatEngineInstallPlan(plan)}`,
        { code: 'CONFIRMATION_REQUIRED', suggestions: ['Add --yes (or set WMON_YES=1) to install from a script.'] },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${formatEngineInstallPlan(plan)}\nInstall these? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) {
        throw new WmonError('Not confirmed: nothing was installed.', { code: 'NOT_CONFIRMED' });
      }
    } finally {
      rl.close();
    }
  }
}
