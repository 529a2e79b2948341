/**
 * The ContainerRuntime contract (runtime-contract.ts) against the real engine: Docker, or Podman's Docker
 * API, on an image scripts/engine/build-images.sh builds. Containers run a shell: a loop that ends on
 * SIGTERM, or a line to stderr and an exit code.
 */
import { runtimeContract } from './runtime-contract.js';
import { runtimeForTests, TEST_IMAGES } from '../../support/engine.js';

const runtime = await runtimeForTests('runtime contract (real engine)', [TEST_IMAGES.nodeExporter]);

runtimeContract({
  name: `the real engine${runtime ? ` (${runtime.engine.name} ${runtime.engine.version})` : ''}`,
  runtime,
  image: TEST_IMAGES.nodeExporter,
  runsUntilStopped: (spec) => ({
    ...spec,
    entrypoint: ['/bin/sh', '-c'],
    cmd: ['trap "exit 0" TERM; while true; do sleep 1; done'],
  }),
  exitsWith: (spec, code, line) => ({
    ...spec,
    entrypoint: ['/bin/sh', '-c'],
    cmd: [`echo '${line}' >&2; exit ${code}`],
  }),
});
