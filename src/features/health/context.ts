/**
 * What every check reads: the stack context of the run (src/context.ts), with the check deadline as the
 * clients' timeout and as the engine ping's (a loaded host answers slowly; at least the 3 s default).
 */
import { createStackContext, type ContextOptions, type StackContext } from '../../context.js';
import type { LoadedConfig } from '../../core/config/load.js';

export type HealthContext = StackContext;

export function healthContextOptions(timeoutMs: number): ContextOptions {
  return { timeoutMs, pingTimeoutMs: timeoutMs };
}

export function createHealthContext(
  loaded: LoadedConfig,
  opts: ContextOptions & { readonly timeoutMs: number },
): HealthContext {
  return createStackContext(loaded, { ...healthContextOptions(opts.timeoutMs), ...opts });
}
