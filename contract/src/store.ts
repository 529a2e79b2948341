/**
 * The bundled service's SQLite store as wmon backs it up and restores it: where the file is in the service's
 * data volume, and the schema version the service writes (PRAGMA user_version). A service refuses a database
 * of a newer schema than its own, and wmon refuses to restore one.
 */

/** The SQLite file in the service's data volume (the volume is mounted at /data). */
export const SQLITE_DATA_DIR = '/data';
export const SQLITE_FILE_NAME = 'webhooks.db';

/**
 * PRAGMA user_version of the service's SQLite schema. Raised with every change of the schema. 1: the first
 * versioned schema, with `webhook_events.source` (webhook or reconcile); a database of version 0 (made before
 * versions) gets that column when the service opens it.
 */
export const SQLITE_SCHEMA_VERSION = 1;

/** The tables the service keeps, and the states an event can be in (webhook_event_state.status). */
export const STORE_TABLES = ['webhook_events', 'webhook_event_state', 'stripe_objects'] as const;
export const EVENT_STATES = ['pending', 'processed', 'dead_letter'] as const;
