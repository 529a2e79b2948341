/** The first step of `wmon engine install` and `wmon images build`: this machine must be Debian or Ubuntu, and wmon root. */
import { hostPlatform, isDebianLike, type HostPlatform } from '../adapters/host/platform.js';
import { WmonError } from '../errors.js';
import type { Step } from './steps.js';

export interface MachineInput {
  /** This machine (injectable for tests). */
  readonly host?: () => Promise<HostPlatform>;
}

/** Refuses, naming what to do instead, unless this is Debian or Ubuntu and wmon runs as root. */
export function debianRootStep(command: string, otherwise: string): Step<MachineInput, { readonly platform: string }> {
  return {
    title: 'Check this machine',
    async run({ host = hostPlatform }, io) {
      const machine = await host();
      if (!isDebianLike(machine.distro)) {
        const what =
          machine.platform === 'linux'
            ? `${machine.distro?.name ?? 'this Linux distribution (no /etc/os-release)'}`
            : machine.platform === 'darwin'
              ? 'macOS'
              : machine.platform === 'win32'
                ? 'Windows'
                : machine.platform;
        throw new WmonError(
          `\`${command}\` uses apt-get and Debian's packages: it runs on Debian or Ubuntu only, and this is ${what}.`,
          { code: 'PLATFORM_UNSUPPORTED', suggestions: [otherwise] },
        );
      }
      if (!machine.root) {
        throw new WmonError(
          `\`${command}\` installs packages and writes system files: it runs as root, and this is not root.`,
          { code: 'PLATFORM_UNSUPPORTED', suggestions: [`Run it as root: \`sudo ${command}\`.`] },
        );
      }
      io.output(`${machine.distro!.name}, as root`);
      return { platform: machine.distro!.name };
    },
  };
}
