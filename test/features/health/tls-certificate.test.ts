import { chmod } from 'node:fs/promises';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { createStackContext } from '../../../src/context.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { tlsCertificateTasks } from '../../../src/features/health/checks/secrets.js';
import { CHECK_GROUPS, runCheck } from '../../../src/features/health/index.js';
import { makeCert } from '../../support/tls.js';
import { tempDir } from '../../support/tmp.js';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('wmon-check-tls-');
  makeCert(dir, 'server', { days: 30 });
});

function context(yaml = 'auth: {password: {env: PW}, tls: {certFile: server.crt, keyFile: server.key}}\n') {
  const loaded = { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config: parseConfigText(yaml, 'wmon.yaml') };
  return createStackContext(loaded, { timeoutMs: 2000, env: { PW: 'a long enough password' } });
}

async function rowAt(daysFromNow: number) {
  const ctx = context();
  const [task] = tlsCertificateTasks(ctx, () => new Date(Date.now() + daysFromNow * 86_400_000));
  return (await task!.run())[0]!;
}

describe('wmon check: the TLS certificate', () => {
  it('is OK while valid, naming its end and the server name', async () => {
    const ok = await rowAt(0);
    expect(ok).toMatchObject({ id: 'secrets.tls', status: 'OK' });
    expect(ok.detail).toMatch(/server\.crt \(for localhost\) is valid until \d{4}-\d\d-\d\d \(29 days left\)$/);
  });

  it('warns (not critical) when it ends within 14 days, has ended, or has not begun', async () => {
    const soon = await rowAt(20);
    expect(soon.status).toBe('WARNING');
    expect(soon.detail).toMatch(/expires on .* \(9 days left\): renew it, then run wmon update$/);
    const expired = await rowAt(31);
    expect(expired.status).toBe('WARNING');
    expect(expired.detail).toMatch(/server\.crt \(for localhost\) expired on \d{4}-\d\d-\d\d: clients refuse it/);
    const early = await rowAt(-2);
    expect(early.status).toBe('WARNING');
    expect(early.detail).toContain('is not valid before');
  });

  it('is not there without auth.tls, and part of wmon check with it; a key others can read is a WARNING', async () => {
    expect(tlsCertificateTasks(context('auth: {password: {env: PW}}\n'))).toEqual([]);
    await chmod(path.join(dir, 'server.key'), 0o600);
    const skip = CHECK_GROUPS.filter((g) => g !== 'secrets');
    const ok = await runCheck(context(), { timeoutMs: 2000, skip });
    expect(ok.checks.map((c) => [c.id, c.status])).toEqual([
      ['secrets.files', 'OK'],
      ['secrets.tls', 'OK'],
    ]);
    await chmod(path.join(dir, 'server.key'), 0o644);
    const warned = await runCheck(context(), { timeoutMs: 2000, skip });
    expect(warned.checks.find((c) => c.id === 'secrets.files')).toMatchObject({ status: 'WARNING' });
    expect(warned.checks.find((c) => c.id === 'secrets.files')!.detail).toContain(
      `${path.join(dir, 'server.key')} (auth.tls.keyFile, mode 0644; fix: chmod 600`,
    );
  });
});
