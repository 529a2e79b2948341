/**
 * @wmon/contract: what the wmon CLI and the bundled webhook service (service/) must agree on. The service
 * emits these metric names and label values, answers on these routes with these bodies, and reads its
 * secrets from these files; the CLI renders rules and dashboards, queries, probes and mounts by the same
 * constants. Both import them from here only.
 */
export * from './labels.js';
export * from './metrics.js';
export * from './probe-event.js';
export * from './reconcile.js';
export * from './routes.js';
export * from './secrets.js';
export * from './store.js';
