import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { listRunbooks, readRunbook, runbookNames } from '../../../src/features/runbooks/index.js';
import { RUNBOOKS_DIR } from '../../../src/package.js';
import { everyAlert } from '../../core/render/every-alert.js';

describe('the runbooks wmon ships', () => {
  it('has a runbook for every alert wmon can render, and none for an alert it does not render', async () => {
    expect(await runbookNames()).toEqual([...new Set(everyAlert().map((r) => r.alert))].sort());
  });

  it('says in each what the alert means, what to check first and how to silence it, with its severity', async () => {
    // An alert with a rule per severity (WebhookCertificateExpiringSoon) names the lower one first.
    const severities = new Map<string, string>();
    for (const r of everyAlert())
      if (r.labels.severity !== 'critical' || !severities.has(r.alert)) severities.set(r.alert, r.labels.severity);
    for (const rb of await listRunbooks()) {
      const text = await readFile(rb.file, 'utf8');
      expect(text.startsWith(`# ${rb.alert}\n`), rb.alert).toBe(true);
      expect(rb.severity, rb.alert).toBe(severities.get(rb.alert));
      expect(text, rb.alert).toContain('**What it means.**');
      expect(text, rb.alert).toMatch(/\*\*First checks/);
      expect(text, rb.alert).toContain('**Silence it.**');
      expect(text, rb.alert).toContain(`amtool silence add alertname=${rb.alert} `);
      expect(rb.summary.length, rb.alert).toBeGreaterThan(20);
    }
  });

  it('links only to runbooks that exist', async () => {
    const names = new Set(await runbookNames());
    for (const name of names) {
      const text = await readFile(path.join(RUNBOOKS_DIR, `${name}.md`), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#]+\.md)\)/g))
        expect(names, `${name} → ${target}`).toContain(target!.slice(0, -3));
    }
  });

  it('finds an alert ignoring case, and refuses an unknown one with the list of names', async () => {
    expect((await readRunbook('targetdown')).alert).toBe('TargetDown');
    await expect(readRunbook('TargetDwn')).rejects.toMatchObject({
      code: 'RUNBOOK_UNKNOWN',
      message: 'There is no runbook for an alert named "TargetDwn". Did you mean TargetDown?',
      suggestions: [
        expect.stringMatching(/^Alerts with a runbook: (\w+, )+TargetDown, (\w+, )*WebhookCacheDown, /),
        expect.any(String),
      ],
    });
    await expect(readRunbook('../README')).rejects.toMatchObject({ code: 'RUNBOOK_UNKNOWN' });
    await expect(readRunbook('x'.repeat(10_000))).rejects.toMatchObject({
      message: `There is no runbook for an alert named "${'x'.repeat(64)}…".`,
    });
  });
});
