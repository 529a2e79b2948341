import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { defineBehaviourSuite } from './helpers/behaviour.js';
import { tempDir } from './helpers/service.js';

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
defineBehaviourSuite('SQLite in the main thread (SQLITE_THREAD=main, NORMAL)', sqlite({ SQLITE_THREAD: 'main', SQLITE_SYNCHRONOUS: 'NORMAL' }));
