/**
 * Errors from the container engine, as WmonErrors: what wmon was doing, what the engine said, and a code
 * (by default from the engine's HTTP status; its exit code comes from ERRORS: `conflict` for a name
 * already taken, `unavailable` for the rest).
 */
import { WmonError, type ErrorCode } from '../../errors.js';

export class EngineError extends WmonError {
  /** HTTP status the engine answered, when it answered. */
  readonly statusCode: number | undefined;
  /** What wmon asked for, e.g. `create container wmon-demo-prometheus`. */
  readonly operation: string;

  constructor(
    operation: string,
    detail: string,
    opts: { statusCode?: number; code?: ErrorCode; suggestions?: readonly string[] } = {},
  ) {
    super(`Container engine: could not ${operation}: ${detail}`, {
      code:
        opts.code ??
        (opts.statusCode === 404
          ? 'ENGINE_NOT_FOUND'
          : opts.statusCode === 409
            ? 'ENGINE_CONFLICT'
            : 'ENGINE_REQUEST_FAILED'),
      suggestions: opts.suggestions ?? [],
    });
    this.name = 'EngineError';
    this.statusCode = opts.statusCode;
    this.operation = operation;
  }
}

/** The HTTP status of an error thrown by docker-modem, if any. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const status = (error as { statusCode: unknown }).statusCode;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/** The engine's own message (`json.message`), else the error's. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
      return (json as { message: string }).message.trim();
    }
    if (typeof json === 'string' && json.trim() !== '') return json.trim();
    const reason = (error as { reason?: unknown }).reason;
    const message = error instanceof Error ? error.message : String(error);
    // docker-modem puts "(HTTP code 500) server error - <engine message>"; keep the engine's part.
    const m = /^\(HTTP code \d+\) [^-]+- (.*)$/s.exec(message);
    if (m?.[1] !== undefined && m[1].trim() !== '') return m[1].trim();
    if (typeof reason === 'string' && reason !== '') return `${reason} (${message})`;
    return message;
  }
  return String(error);
}

/** Wrap anything an engine call threw. WmonErrors pass through unchanged. */
export function toEngineError(operation: string, error: unknown): WmonError {
  if (error instanceof WmonError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET') {
    return new EngineError(operation, `the engine is not reachable (${String(code)})`, {
      code: 'ENGINE_UNREACHABLE',
      suggestions: ['Check that Docker or Podman is still running (`docker info`).'],
    });
  }
  return new EngineError(operation, engineMessage(error), { statusCode: statusOf(error) });
}

// ---- refusals both runtimes (docker-runtime.ts, memory-runtime.ts) word the same way ------------------

/** A pull the engine or the registry refused. */
export function pullFailedError(operation: string, detail: string, statusCode?: number): EngineError {
  return new EngineError(operation, detail, {
    ...(statusCode === undefined ? {} : { statusCode }),
    code: 'IMAGE_PULL_FAILED',
    suggestions: [
      'Check that this machine can reach the registry (a proxy or a login may be needed: `docker pull` shows the same error).',
      "Or set the component's image in wmon.yaml to one that is present locally.",
      NO_REGISTRY_ADVICE,
    ],
  });
}

/** What a host that reaches no registry can do (wmon images build, on Debian or Ubuntu). */
export const NO_REGISTRY_ADVICE =
  "No registry reachable from here? On Debian or Ubuntu, `sudo wmon images build` builds Prometheus, Alertmanager, Node Exporter and the webhook service's base images from the distribution's packages and records them in wmon.yaml (Grafana, Loki and Jaeger, which have no such source, are switched off).";

/** A container name already taken (Docker answers 409, Podman 500: both become this). */
export function nameTakenError(operation: string, name: string): EngineError {
  return new EngineError(operation, `a container named ${name} already exists`, {
    statusCode: 409,
    code: 'CONTAINER_NAME_TAKEN',
    suggestions: [`Remove it (\`docker rm -f ${name}\`) or let wmon recreate it.`],
  });
}

/** A container created from an image that is not present. */
export function imageMissingError(operation: string, image: string): EngineError {
  return new EngineError(operation, `the image ${image} is not present (pull or build it first)`, {
    statusCode: 404,
    code: 'IMAGE_MISSING',
  });
}

/** A bind mount whose source is not an absolute path (a bug in wmon: specs are built with absolute paths). */
export function bindNotAbsoluteError(source: string, container: string): WmonError {
  return new WmonError(`Bind mount source must be an absolute path, got "${source}" (container ${container}).`, {
    code: 'BIND_NOT_ABSOLUTE',
  });
}

/** putArchive to a folder that does not exist (Docker answers 404, Podman would create it: both refuse). */
export function noSuchFolderError(operation: string, folder: string): EngineError {
  return new EngineError(operation, `there is no ${folder} in the container (or no such container)`, {
    statusCode: 404,
  });
}
