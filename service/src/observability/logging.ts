/**
 * pino JSON logs on stdout, and pushed to Loki when LOKI_URL is set. With Loki, both outputs run in a
 * pino transport worker thread (pino-loki batches every second, drops the oldest lines past 10 000, times
 * out after 5 s and stays quiet on errors), so a slow or absent Loki never blocks the event loop.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export interface Logging {
  readonly log: Logger;
  flush(): Promise<void>;
}

/** Loki's push API, from a base URL (http://loki:3100) or the full push URL. */
export function lokiTarget(url: string): { host: string; endpoint: string } {
  const u = new URL(url);
  if (u.pathname.endsWith('/loki/api/v1/push'))
    return { host: u.origin + '/', endpoint: u.pathname.replace(/^\//, '') };
  const base = u.href.endsWith('/') ? u.href : u.href + '/';
  return { host: base, endpoint: 'loki/api/v1/push' };
}

export function createLogging(options: {
  level: LevelWithSilent;
  serviceName: string;
  lokiUrl?: string | undefined;
  /** Applied to every line before it is written (to stdout and Loki): masks credentials. */
  redact?: (line: string) => string;
}): Logging {
  const base = { service: options.serviceName };
  // pino's default shape (numeric level, `time` in ms) in both modes: pino-loki maps levels itself, and
  // custom level formatters are not allowed with several transport targets.
  const pinoOptions = {
    level: options.level,
    base,
    ...(options.redact ? { hooks: { streamWrite: options.redact } } : {}),
  };
  if (!options.lokiUrl) {
    const dest = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    const log = pino(pinoOptions, dest);
    // Keep what is buffered when the process ends normally.
    const flushTimer = setInterval(() => dest.flush(), 1000);
    flushTimer.unref();
    return {
      log,
      flush: async () => {
        clearInterval(flushTimer);
        try {
          dest.flushSync();
        } catch {
          // not ready yet, or stdout closed
        }
      },
    };
  }
  const { host, endpoint } = lokiTarget(options.lokiUrl);
  const require = createRequire(import.meta.url);
  const transport = pino.transport({
    targets: [
      { target: 'pino/file', level: options.level, options: { destination: 1 } },
      {
        target: require.resolve('pino-loki'),
        level: options.level,
        options: {
          host,
          endpoint,
          batching: { interval: 1, maxBufferSize: 10_000 },
          timeout: 5000,
          silenceErrors: true,
          labels: { service: options.serviceName, job: 'wmon-webhook' },
        },
      },
    ],
  });
  const log = pino(pinoOptions, transport);
  return {
    log,
    flush: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 3000);
        t.unref();
        transport.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        transport.end();
      }),
  };
}
