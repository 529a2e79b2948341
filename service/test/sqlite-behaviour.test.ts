import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION } from '@wmon/contract';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { defineBehaviourSuite } from './helpers/behaviour.js';
import { event, post, startService, tempDir } from './helpers/service.js';

const dirs: string[] = [];
const sqlite = (extra: Record<string, string>) => ({
  env: async () => {
    const dir = tempDir();
    dirs.push(dir);
    return { DATABASE_URL: `sqlite:${join(dir, 'webhooks.db')}`, ...extra };
  },
  cleanup: async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  },
});

// Each test gets a fresh SQLite file. The connection in its own thread (default), and in the main thread.
defineBehaviourSuite('SQLite + in-memory cache', sqlite({}));
defineBehaviourSuite(
  'SQLite in the main thread (SQLITE_THREAD=main, NORMAL)',
  sqlite({ SQLITE_THREAD: 'main', SQLITE_SYNCHRONOUS: 'NORMAL' }),
);

describe('SQLite file layout', () => {
  it('creates the database in WAL mode with 16 KiB pages, so a ~5 KB event fits one page', async () => {
    const svc = await startService();
    try {
      const ev = event('charge.succeeded');
      expect((await post(svc.webhookUrl, ev)).status).toBe(200);
      const db = new Database(join(svc.dir, 'webhooks.db'), { readonly: true });
      try {
        expect(db.pragma('page_size', { simple: true })).toBe(16384);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(db.prepare('SELECT count(*) AS n FROM webhook_events WHERE id = ?').get(ev.id)).toEqual({ n: 1 });
        expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
      } finally {
        db.close();
      }
    } finally {
      await svc.stop();
    }
  });
});

describe('SQLite schema version', () => {
  it('refuses a database of a newer schema than its own, and leaves it as it is', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, 'webhooks.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    const store = new SqliteStore(file, 'FULL', () => {}, 'main');
    await expect(store.init()).rejects.toThrow(/schema version 2; this service reads version 1 and older/);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION + 1);
    expect(after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()).toEqual({ n: 0 });
    after.close();
  });
});

describe('handler context', () => {
  it("gives handlers a logger bound to the event's id and type", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const handlers = new HandlerRegistry().register('charge.succeeded', async (e, ctx) => {
      ctx.log.info({ amount: (e.data.object as { amount?: number }).amount }, 'handled');
    });
    const svc = await startService({}, { handlers, logger });
    try {
      const ev = event('charge.succeeded');
      expect((await post(svc.webhookUrl, ev)).status).toBe(200);
      expect(await svc.service.processor.idle(10_000)).toBe(true);
      expect(lines.find((l) => l.msg === 'handled')).toMatchObject({ eventId: ev.id, eventType: 'charge.succeeded' });
    } finally {
      await svc.stop();
    }
  });
});
