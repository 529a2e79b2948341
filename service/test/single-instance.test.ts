/**
 * SQLite serves one service process. A second process on the same database file refuses to start, with a
 * message saying why and what to do and its own exit code, and leaves the first and the file unharmed; the
 * lock dies with its process, kill -9 included.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_DATABASE_IN_USE } from '../src/config.js';
import { killChildren, signedPost, spawnService, startChild } from './helpers/child.js';
import { event, tempDir, waitFor } from './helpers/service.js';

const dirs: string[] = [];
afterAll(() => {
  killChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('one process per SQLite database', () => {
  it('refuses a second process on the same file with a clear message and exit code 75; kill -9 frees it', async () => {
    const dir = tempDir('wmon-single-');
    dirs.push(dir);
    const env = { DATABASE_URL: `sqlite:${join(dir, 'webhooks.db')}` };
    const first = await startChild(env);
    expect(await signedPost(first.url, event('invoice.paid'))).toBe(200);

    const second = await spawnService(env);
    const { code } = await second.exited;
    expect(code).toBe(EXIT_DATABASE_IN_USE);
    expect(EXIT_DATABASE_IN_USE).toBe(75);
    expect(second.output()).toContain(
      `wmon-webhook: the SQLite database ${join(dir, 'webhooks.db')} is in use by another service process`,
    );
    expect(second.output()).toContain('run replicas on PostgreSQL');
    expect(second.output()).not.toMatch(/\n\s+at /); // no stack trace

    // The first one carries on, its data intact.
    const e = event('invoice.paid');
    expect(await signedPost(first.url, e)).toBe(200);
    expect(await signedPost(first.url, e)).toBe(200);

    // The lock goes with the process, however it ends: a new one starts at once and finds both events.
    first.proc.kill('SIGKILL');
    await first.exited;
    const third = await startChild(env);
    await waitFor(
      () => fetch(`${third.internalUrl}/metrics`).then((r) => r.text()),
      (text) => /webhook_queue_size\{[^}]*state="pending"[^}]*\} 0/.test(text),
      'the restarted service to settle',
    );
    // Read while it runs: the lock is on a sidecar file, so the database stays open to other readers.
    const db = new Database(join(dir, 'webhooks.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM webhook_event_state WHERE status = 'processed'").get()).toEqual({
        n: 2,
      });
    } finally {
      db.close();
    }
    third.proc.kill('SIGTERM');
    expect((await third.exited).code).toBe(0);
  });
});
