/**
 * The service as a child process (`node --import tsx src/main.ts`), as it runs in production: for the tests
 * that kill it, run several of it, or read its exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { signPayload } from '../../src/send.js';
import { freePort } from './ports.js';
import { SECRET, waitFor } from './service.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

export interface Child {
  readonly proc: ChildProcess;
  /** The public listener. */
  readonly url: string;
  /** The internal listener (metrics). */
  readonly internalUrl: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every child started; `killChildren` ends the ones still running (afterAll). */
const children: ChildProcess[] = [];

export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Spawn the service with `env` over the test defaults (no rate limits). */
export async function spawnService(env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const metricsPort = await freePort();
  const proc = spawn(process.execPath, ['--conditions=@wmon/source', '--import', 'tsx', MAIN], {
    env: {
      PATH: process.env.PATH,
      STRIPE_WEBHOOK_SECRET: SECRET,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      RATE_LIMIT_PER_CLIENT: '0',
      RATE_LIMIT_GLOBAL: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    internalUrl: `http://127.0.0.1:${metricsPort}`,
    output: () => out,
    exited,
  };
}

/** Spawn the service and wait until it listens. */
export async function startChild(env: Record<string, string>): Promise<Child> {
  const child = await spawnService(env);
  await waitFor(
    async () => {
      if (child.proc.exitCode !== null)
        throw new Error(`service exited early (${child.proc.exitCode}):\n${child.output()}`);
      return fetch(`${child.url}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
    },
    (s) => s === 200,
    'the child service to listen',
    30_000,
  );
  return child;
}

/** POST an event signed with the test secret; resolves with the status (rejects when the connection fails). */
export async function signedPost(url: string, e: object): Promise<number> {
  const body = JSON.stringify(e);
  const res = await fetch(`${url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'stripe-signature': signPayload(body, SECRET), 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}
