/**
 * How integration tests find the container engine: the way wmon does (DOCKER_HOST, then the usual
 * sockets). Nothing is exported to the environment. In CI (`CI` set) a missing engine or image is a
 * failure; elsewhere the tests are skipped with a loud warning.
 */
import { defaultDetectDeps, detectEngine } from '../../src/adapters/runtime/detect.js';
import { createDockerRuntime } from '../../src/adapters/runtime/docker-runtime.js';
import type { ContainerRuntime } from '../../src/adapters/runtime/container-runtime.js';
import { TEST_IMAGES } from './versions.js';

/** Images scripts/engine/build-images.sh builds (tags from scripts/versions.env). */
export { TEST_IMAGES };

const DETECT_TIMEOUT_MS = 20_000;

function warn(lines: readonly string[]): void {
  const bar = '!'.repeat(100);
  console.warn([bar, ...lines.map((l) => `!!  ${l}`), bar].join('\n'));
}

/**
 * A runtime with the given images present, or undefined (tests skip) outside CI. Throws in CI.
 */
export async function runtimeForTests(suite: string, images: readonly string[]): Promise<ContainerRuntime | undefined> {
  const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
  let problem: string[];
  try {
    // A busy machine's Podman can take several seconds over /version (it asks conmon and runc theirs):
    // tests give detection more time than the CLI's default, and the engine found is cached for the process.
    const runtime = createDockerRuntime(
      await detectEngine({ ...defaultDetectDeps(), pingTimeoutMs: DETECT_TIMEOUT_MS }),
    );
    const missing: string[] = [];
    for (const image of images) if (!(await runtime.imageExists(image))) missing.push(image);
    if (missing.length === 0) return runtime;
    problem = [`images missing: ${missing.join(', ')}`, 'build them: sudo scripts/engine/build-images.sh'];
  } catch (error) {
    problem = [
      ...(error instanceof Error ? error.message : String(error)).split('\n'),
      'contributors: sudo scripts/engine/install.sh && sudo scripts/engine/build-images.sh',
    ];
  }
  if (inCi)
    throw new Error(`${suite}: CI is set, and these integration tests need a container engine:\n${problem.join('\n')}`);
  warn([`SKIPPING ${suite}: no usable container engine.`, ...problem]);
  return undefined;
}
