/**
 * The runtime layer's entry point: find the engine and get a ContainerRuntime for it. Commands and the
 * stack import from here (or from the individual files); no dockerode type is exported.
 */
import { createDockerRuntime } from './docker-runtime.js';
import { defaultDetectDeps, detectEngine, type DetectDeps } from './detect.js';
import type { ContainerRuntime } from './container-runtime.js';

export * from '../../core/model/container-types.js';
export * from './container-runtime.js';
export {
  detectEngine,
  clearEngineCache,
  defaultDetectDeps,
  PING_TIMEOUT_MS,
  type DetectDeps,
  type DetectionAttempt,
} from './detect.js';
export { normalizeImageRef, parseImageRef, isLocalOnlyImage } from './image-ref.js';
export { EngineError } from './engine-error.js';
export {
  checkPorts,
  describePortCheck,
  portConflictError,
  type PortCheck,
  type PortHolder,
  type PortRequest,
} from './ports.js';
export { ReadinessError, readinessUrl, waitForHttp, type HttpReady, type HttpWaitOptions } from './readiness.js';

/** Detect the engine (cached) and connect to it. Throws WmonError `unavailable` when none answers. */
export async function connectRuntime(deps: DetectDeps = defaultDetectDeps()): Promise<ContainerRuntime> {
  return createDockerRuntime(await detectEngine(deps));
}
