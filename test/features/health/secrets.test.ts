import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { materializeSecrets } from '../../../src/adapters/stack-dir/secrets.js';
import { createStackContext } from '../../../src/context.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import { CHECK_GROUPS, runCheck } from '../../../src/features/health/index.js';
import { tempDir } from '../../support/tmp.js';

async function checkSecrets(dir: string, yaml: string) {
  const loaded = { file: path.join(dir, 'wmon.yaml'), dir, exists: true, config: parseConfigText(yaml, 'wmon.yaml') };
  const ctx = createStackContext(loaded, { timeoutMs: 2000 });
  const skip = CHECK_GROUPS.filter((g) => g !== 'secrets');
  return { ctx, report: await runCheck(ctx, { timeoutMs: 2000, skip }) };
}

describe('wmon check: secret files', () => {
  it('is OK when only their owner can read them, and a WARNING (not CRITICAL) naming each file and its fix', async () => {
    const dir = await tempDir('wmon-check-secrets-');
    const yaml = 'auth: {password: {file: auth.txt}}\nnotifications:\n  slack: {webhookUrl: {file: slack.txt}}\n';
    await writeFile(path.join(dir, 'auth.txt'), 'a long enough password\n', { mode: 0o600 });
    await writeFile(path.join(dir, 'slack.txt'), 'https://hooks.slack.com/services/T/B/X\n', { mode: 0o600 });
    const { ctx } = await checkSecrets(dir, yaml);
    await materializeSecrets(ctx.loaded, ctx.stackDir);

    const ok = (await checkSecrets(dir, yaml)).report;
    expect(ok.checks).toHaveLength(1);
    expect(ok.checks[0]).toMatchObject({ id: 'secrets.files', status: 'OK' });
    expect(ok.exitCode).toBe(0);

    await chmod(path.join(dir, 'slack.txt'), 0o644);
    await chmod(path.join(ctx.stackDir, 'auth-password'), 0o640);
    await chmod(path.join(ctx.stackDir, 'secrets'), 0o755);
    const warned = (await checkSecrets(dir, yaml)).report;
    expect(warned.status).toBe('WARNING');
    expect(warned.exitCode).toBe(1);
    const detail = warned.checks[0]!.detail;
    expect(detail).toContain(
      `${path.join(dir, 'slack.txt')} (notifications.slack.webhookUrl, mode 0644; fix: chmod 600`,
    );
    expect(detail).toContain(`${path.join(ctx.stackDir, 'auth-password')} (kept by wmon, mode 0640`);
    expect(detail).toContain(`fix: chmod 700 ${path.join(ctx.stackDir, 'secrets')}`);
    expect(detail).not.toContain('auth.txt');
    // The values themselves are never in the report.
    expect(JSON.stringify(warned)).not.toContain('hooks.slack.com');
    expect(JSON.stringify(warned)).not.toContain('a long enough password');
  });
});
