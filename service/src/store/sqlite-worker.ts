/**
 * Worker thread that owns the SQLite connection. Messages: { id, op, args } → { id, ok, result | error }.
 * Messages are handled one at a time, in order, so a write batch sent before a read is visible to it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SqliteRequest } from './sqlite-engine.js';
import { dispatch, SqliteEngine } from './sqlite-engine.js';

export type { SqliteRequest } from './sqlite-engine.js';

export type SqliteResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { message: string; code?: string } };

const port = parentPort;
if (!port) throw new Error('sqlite-worker must run in a worker thread');
const { path, synchronous } = workerData as { path: string; synchronous: 'FULL' | 'NORMAL' };

let engine: SqliteEngine | undefined;
try {
  engine = new SqliteEngine(path, synchronous);
  port.postMessage({ id: 0, ok: true, result: 'ready' } satisfies SqliteResponse);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  port.postMessage({ id: 0, ok: false, error: { message: e.message, code: e.code } } satisfies SqliteResponse);
}

port.on('message', (req: SqliteRequest & { id: number }) => {
  let res: SqliteResponse;
  try {
    if (!engine) throw new Error('database is not open');
    const result = dispatch(engine, req);
    if (req.op === 'close') engine = undefined;
    res = { id: req.id, ok: true, result };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    res = { id: req.id, ok: false, error: { message: e.message, code: e.code } };
  }
  port.postMessage(res);
  if (req.op === 'close') port.close();
});
