import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { jsonOutput, wmon } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** The documented shape of `wmon runbook --json` (README, "JSON output"). */
const runbookJson = z.strictObject({
  runbooks: z.array(
    z.strictObject({
      alert: z.string(),
      severity: z.enum(['critical', 'warning', 'info', 'none']),
      summary: z.string(),
      file: z.string(),
    }),
  ),
  markdown: z.string().nullable(),
});

describe('wmon runbook', () => {
  it('lists every runbook, needing no wmon.yaml', async () => {
    const dir = await tempDir();
    const list = jsonOutput(await wmon(['runbook', '--json'], { cwd: dir }), runbookJson);
    expect(list.markdown).toBeNull();
    expect(list.runbooks.map((r) => r.alert)).toContain('WebhookHighErrorRate');
    const text = await wmon(['runbook'], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/│ WebhookHighErrorRate\s+│ critical\s+│ At least one webhook request in ten/);
  });

  it('prints one runbook as markdown, or in --json', async () => {
    const r = await wmon(['runbook', 'webhookhigherrorrate']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# WebhookHighErrorRate\n/);
    expect(r.stdout).toContain('amtool silence add alertname=WebhookHighErrorRate');
    const json = jsonOutput(await wmon(['runbook', 'TargetDown', '--json']), runbookJson);
    expect(json.runbooks).toEqual([expect.objectContaining({ alert: 'TargetDown', severity: 'critical' })]);
    expect(json.markdown).toMatch(/^# TargetDown\n/);
  });

  it('refuses an unknown alert with exit 2, naming the alerts that have one', async () => {
    const r = await wmon(['runbook', 'NoSuchAlert']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('There is no runbook for an alert named "NoSuchAlert".');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const json = JSON.parse((await wmon(['runbook', 'NoSuchAlert', '--json'])).stdout);
    expect(json.error).toMatchObject({ code: 'RUNBOOK_UNKNOWN', exit: 2 });
    expect(json.error.suggestions[0]).toMatch(
      /^Alerts with a runbook: (\w+, )+TargetDown, (\w+, )*WebhookHighErrorRate, /,
    );
  });

  it('shows examples in its help', async () => {
    const r = await wmon(['runbook', '--help']);
    expect(r.stdout).toContain('wmon runbook WebhookHighErrorRate');
  });
});
