/**
 * Worker thread that owns the SQLite connection. Messages: { id, op, args } → { id, ok, result | error }.
 * Messages are handled one at a time, in order, so a write batch sent before a read is visible to it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEngine } from './sqlite-engine.js';

export type SqliteRequest =
  | { id: number; op: 'write'; args: [Parameters<SqliteEngine['writeBatch']>[0]] }
  | { id: number; op: 'loadPending'; args: [number, number] }
  | { id: number; op: 'counts'; args: [] }
  | { id: number; op: 'getObject'; args: [string] }
  | { id: number; op: 'getEvent'; args: [string] }
  | { id: number; op: 'ping'; args: [] }
  | { id: number; op: 'close'; args: [] };

export type SqliteResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { message: string; code?: string } };

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

port.on('message', (req: SqliteRequest) => {
  let res: SqliteResponse;
  try {
    if (!engine) throw new Error('database is not open');
    let result: unknown;
    switch (req.op) {
      case 'write':
        result = engine.writeBatch(req.args[0]);
        break;
      case 'loadPending':
        result = engine.loadPending(req.args[0], req.args[1]);
        break;
      case 'counts':
        result = engine.counts();
        break;
      case 'getObject':
        result = engine.getObject(req.args[0]);
        break;
      case 'getEvent':
        result = engine.getEvent(req.args[0]);
        break;
      case 'ping':
        result = engine.ping();
        break;
      case 'close':
        engine.close();
        engine = undefined;
        result = true;
        break;
    }
    res = { id: req.id, ok: true, result };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    res = { id: req.id, ok: false, error: { message: e.message, code: e.code } };
  }
  port.postMessage(res);
  if (req.op === 'close') port.close();
});
