/**
 * `wmon engine install`: the project's Podman set-up (scripts/engine/install.sh, shipped in the package):
 * Podman and runc from the distribution's packages, /etc/containers/containers.conf settings that let it
 * run in unprivileged sandboxes, and Podman's API service on /run/podman/podman.sock, where wmon looks.
 * In two parts, so that the command can ask between them: the plan (what is there, what it would do),
 * then the installation.
 */
import { readFile } from 'node:fs/promises';

import { installAdvice, probeEngine, type ProbeResult } from '../adapters/runtime/detect.js';
import { onPath, runScript, ScriptError } from '../adapters/host/scripts.js';
import type { EngineEndpoint } from '../core/model/container-types.js';
import { WmonError } from '../errors.js';
import type { EngineInstallItem, EngineInstallResultJson } from '../results.js';
import { debianRootStep, type MachineInput } from './machine.js';
import { pipeline, silentReporter, type Reporter, type Step } from './steps.js';

export const ENGINE_SOCKET = '/run/podman/podman.sock';
const CONTAINERS_CONF = '/etc/containers/containers.conf';
const ENGINE_LOG = '/var/log/wmon-podman-service.log';
/** apt-get on a slow mirror, and the API's first start. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;

export interface EngineInstallDeps extends MachineInput {
  readonly onPath?: (name: string) => Promise<boolean>;
  readonly readFile?: (file: string) => Promise<string | undefined>;
  readonly probe?: (endpoint: EngineEndpoint, timeoutMs: number) => Promise<ProbeResult>;
  readonly runScript?: typeof runScript;
}

export interface EngineInstallPlan {
  readonly platform: string;
  readonly items: readonly EngineInstallItem[];
}

const ITEMS = {
  packages: 'Debian packages podman and runc (apt-get install)',
  conf: `${CONTAINERS_CONF}: [containers] default_ulimits = [] and [engine] runtime = "runc" (other settings kept; a backup is left once)`,
  service: `Podman's API service on ${ENGINE_SOCKET} (\`podman system service\` in its own session, log ${ENGINE_LOG}; start it again after a reboot: run this again)`,
} as const;

const endpoint: EngineEndpoint = { kind: 'unix', socketPath: ENGINE_SOCKET };

/** What is there: each item present, or to install. */
export const engineLookStep: Step<EngineInstallDeps, { readonly items: readonly EngineInstallItem[] }> = {
  title: 'See what is installed',
  async run(deps) {
    const has = deps.onPath ?? ((name: string) => onPath(name));
    const read = deps.readFile ?? ((file: string) => readFile(file, 'utf8').catch(() => undefined));
    const probe = deps.probe ?? probeEngine;
    const packages = (await has('podman')) && (await has('runc'));
    const conf = (await read(CONTAINERS_CONF)) ?? '';
    const confSet = /^\s*default_ulimits\s*=\s*\[\s*\]/m.test(conf) && /^\s*runtime\s*=\s*"runc"/m.test(conf);
    const answers = (await probe(endpoint, 3000)).ok;
    const item = (what: string, present: boolean): EngineInstallItem => ({
      what,
      status: present ? 'present' : 'install',
    });
    return { items: [item(ITEMS.packages, packages), item(ITEMS.conf, confSet), item(ITEMS.service, answers)] };
  },
};

/** Check the machine, then see what is there. */
export async function planEngineInstall(
  deps: EngineInstallDeps = {},
  reporter: Reporter = silentReporter,
): Promise<EngineInstallPlan> {
  const s = await pipeline<EngineInstallDeps>()
    .then(debianRootStep('wmon engine install', installAdvice({ platform: process.platform })))
    .then(engineLookStep)
    .run(deps, reporter);
  return { platform: s.platform, items: s.items };
}

interface InstallInput extends EngineInstallDeps {
  readonly plan: EngineInstallPlan;
}

/** Runs scripts/engine/install.sh (idempotent: it does only what is missing). */
export const engineInstallStep: Step<InstallInput, { readonly dockerHost: string; readonly changed: boolean }> = {
  title: 'Install Podman and start its API service',
  async run({ plan, runScript: run = runScript }, io) {
    const changed = plan.items.some((i) => i.status !== 'present');
    if (!changed) {
      io.skip('everything is there already');
      return { dockerHost: `unix://${ENGINE_SOCKET}`, changed };
    }
    try {
      const { stdout } = await run('engine/install.sh', [], {
        timeoutMs: INSTALL_TIMEOUT_MS,
        env: { WMON_ENGINE_SOCKET: ENGINE_SOCKET, WMON_ENGINE_LOG: ENGINE_LOG },
        onLine: (line) => io.output(line.replace(/^engine: /, '')),
      });
      const line = stdout.split('\n').find((l) => l.startsWith('DOCKER_HOST='));
      return {
        dockerHost: line === undefined ? `unix://${ENGINE_SOCKET}` : line.slice('DOCKER_HOST='.length),
        changed,
      };
    } catch (error) {
      if (!(error instanceof ScriptError)) throw error;
      const tail = error.failure.kind === 'failed' ? `\n${error.failure.tail}` : '';
      throw new WmonError(`Installing the engine failed: ${error.message}.${tail}`, {
        code: 'ENGINE_INSTALL_FAILED',
        cause: error,
        suggestions: [
          "The lines above are the installer's last; fix what they name (often: `apt-get update` fails, or the mirror is unreachable) and run `wmon engine install` again: it does only what is missing.",
        ],
      });
    }
  },
};

/** The engine answers on its socket, as wmon will find it. */
export const engineAnswersStep: Step<
  EngineInstallDeps & { readonly dockerHost: string },
  { readonly engine: EngineInstallResultJson['engine'] }
> = {
  title: 'Check that the engine answers',
  async run({ probe = probeEngine }, io) {
    const answer = await probe(endpoint, 20_000);
    if (!answer.ok) {
      throw new WmonError(`Podman's API service does not answer on ${ENGINE_SOCKET}: ${answer.reason}.`, {
        code: 'ENGINE_INSTALL_FAILED',
        suggestions: [`Its log is ${ENGINE_LOG}; run \`wmon engine install\` again to restart it.`],
      });
    }
    const { name, version, apiVersion } = answer.identity;
    io.output(`${name} ${version} (Docker API ${apiVersion})`);
    return { engine: { name, version, apiVersion } };
  },
};

/** Install what the plan says is missing, then check the engine answers. */
export async function installEngine(
  plan: EngineInstallPlan,
  deps: EngineInstallDeps = {},
  reporter: Reporter = silentReporter,
): Promise<EngineInstallResultJson> {
  const s = await pipeline<InstallInput>()
    .then(engineInstallStep)
    .then(engineAnswersStep)
    .run({ ...deps, plan }, reporter);
  return {
    platform: plan.platform,
    changed: s.changed,
    items: plan.items.map((i) => ({ ...i, status: i.status === 'install' ? 'installed' : i.status })),
    dockerHost: s.dockerHost,
    engine: s.engine,
  };
}
