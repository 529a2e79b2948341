#!/usr/bin/env node
/**
 * Entry point: `npm start` / `node dist/service/src/main.js`. Configuration errors print one line and exit
 * with EXIT_CONFIG (78); SIGTERM/SIGINT stop gracefully (a second signal exits at once).
 */
import { createService } from './app.js';
import { ConfigError, EXIT_CONFIG, EXIT_DATABASE_IN_USE, loadConfig, type Config } from './config.js';
import { redactUrls } from './observability/redact.js';
import { DatabaseInUseError } from './store/types.js';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    // Messages never quote credential variables; URL credentials are masked once more in case one slipped in.
    process.stderr.write(`wmon-webhook: invalid configuration: ${redactUrls(err.message)}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
}

const service = createService(config);
const { log } = service;

process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  void service.stop().finally(() => process.exit(1));
});
process.on('unhandledRejection', (reason) => {
  service.metrics.m.errorsTotal.inc({ type: 'internal' });
  log.error({ err: reason }, 'unhandled promise rejection');
});

let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1);
    log.info({ signal }, 'signal received');
    service.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

try {
  await service.start();
} catch (err) {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'start-up failed');
  await service.stop().catch(() => {});
  if (err instanceof DatabaseInUseError) {
    process.stderr.write(`wmon-webhook: ${err.message}\n`);
    process.exit(EXIT_DATABASE_IN_USE);
  }
  process.exit(1);
}
