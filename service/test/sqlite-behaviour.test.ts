import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { defineBehaviourSuite } from './helpers/behaviour.js';
import { tempDir } from './helpers/service.js';

const dirs: string[] = [];
defineBehaviourSuite('SQLite + in-memory cache', {
  env: async () => {
    const dir = tempDir();
    dirs.push(dir);
    return { DATABASE_URL: `sqlite:${join(dir, 'webhooks.db')}` };
  },
  cleanup: async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  },
});
