/**
 * SQLite serves one service process: its queue bookkeeping and record updates are serialised in memory. A
 * second process on the same file must refuse to start, not double-process. The lock is SQLite's own file lock
 * on a small sidecar database (`<path>.lock`) held in EXCLUSIVE locking mode for the process's lifetime: the
 * operating system drops it when the process ends, however it ends (kill -9 included), so a crash never
 * leaves a stale lock. The database itself stays readable by other tools (backups, inspection).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseError, DatabaseInUseError } from './types.js';

export interface SqliteLock {
  release(): void;
}

export function lockSqliteDatabase(path: string): SqliteLock {
  if (path === ':memory:') return { release: () => {} };
  const lockPath = `${path}.lock`;
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(lockPath), { recursive: true });
    db = new Database(lockPath, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY');
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER); DELETE FROM owner;');
    db.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
  } catch (err) {
    db?.close();
    const e = err as Error & { code?: string };
    if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED')
      throw new DatabaseInUseError(
        `the SQLite database ${path} is in use by another service process (it holds ${lockPath}); SQLite serves one instance: stop the other one, or run replicas on PostgreSQL (DATABASE_URL=postgres://…)`,
      );
    throw new DatabaseError(`cannot lock SQLite database ${path} (${lockPath}): ${e.message}`, e.code);
  }
  const held = db;
  return { release: () => held.close() };
}
